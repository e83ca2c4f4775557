// A daemon whose open files limit (hard, so it cannot raise it) is far below what its config
// needs: the instances that fit run, the others fail with EMFILE and the limit, the control
// socket answers throughout, and `down` leaves no process (issue 13, point 5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusReport } from '../../src/core/status.js';
import { processesOfHome, runProcess, sandbox, waitFor, WARDEN } from '../helpers/cli.js';

const SERVICES = 80;
const LIMIT = 64;

void describe('open files limit', () => {
  void it(`starts what fits in ${LIMIT} fds, fails the rest with EMFILE, and always answers`, async () => {
    const s = sandbox();
    try {
      const services = Array.from(
        { length: SERVICES },
        (_, i) => `  s${i}:\n    command: [sleep, '600']\n`,
      );
      s.config(`services:\n${services.join('')}`);
      // `ulimit -n` sets the soft and the hard limit: the daemon inherits both.
      const up = await runProcess('/bin/sh', ['-c', `ulimit -n ${LIMIT} && exec "$0" up`, WARDEN], {
        env: s.env,
        cwd: s.dir,
      });
      assert.equal(up.code, 0, up.stderr);
      assert.match(
        up.stderr,
        new RegExp(`warning: the open files limit \\(${LIMIT}\\) fits about`),
      );

      // Asked again and again while instances start, back off and fail: every answer comes.
      const status = async (): Promise<StatusReport> => {
        const r = await s.warden(['status', '--json']);
        assert.equal(r.code, 0, `status failed: ${r.stderr}`);
        return JSON.parse(r.stdout) as StatusReport;
      };
      const settled = await waitFor(
        'every instance running or failed',
        async () => {
          const r = await status();
          const table = await s.warden(['status']);
          assert.equal(table.code, 0, `status failed: ${table.stderr}`);
          return r.instances.every((i) => i.state === 'running' || i.state === 'failed') && r;
        },
        30_000,
      );
      const running = settled.instances.filter((i) => i.state === 'running');
      const failed = settled.instances.filter((i) => i.state === 'failed');
      assert.ok(running.length > 0, 'no instance runs');
      assert.ok(failed.length > 0, 'every instance fits: the limit was not reached');
      for (const i of failed) {
        assert.match(i.reason ?? '', /EMFILE/, `${i.name}: ${i.reason}`);
        assert.match(i.reason ?? '', new RegExp(`open files limit ${LIMIT} reached`), i.name);
      }
      for (let n = 0; n < 5; n++) {
        const r = await status();
        assert.equal(r.instances.filter((i) => i.state === 'running').length, running.length);
      }
      // One sleep per running instance, and the daemon.
      assert.equal(processesOfHome(s.home).length, running.length + 1);

      const down = await s.warden(['down']);
      assert.equal(down.code, 0, down.stderr);
      await waitFor('no process of the home left', () => processesOfHome(s.home).length === 0);
    } finally {
      await s.cleanup();
    }
  });
});
