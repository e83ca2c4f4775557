// Large fleets are not capped by the protocol (issue 13, point 9): 3,600 instances come up,
// show in `status --json` and go down; and a bring-up does not hold the daemon: requests are
// answered while it is under way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusReport } from '../../src/core/status.js';
import { processesOfHome, sandbox } from '../helpers/cli.js';

void describe('large fleets', () => {
  void it('brings 3,600 instances up, lists them and takes them down', async () => {
    const s = sandbox();
    try {
      let yaml = 'services:\n';
      for (let i = 0; i < 36; i++)
        yaml += `  s${i}:\n    command: [sleep, '600']\n    instances: 100\n    min_uptime: 100ms\n`;
      s.config(yaml);
      const up = await s.warden(['up', '--wait', '--timeout', '100s'], { timeoutMs: 110_000 });
      assert.equal(up.code, 0, up.stderr);
      const r = await s.warden(['status', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as StatusReport;
      assert.equal(report.instances.length, 3600);
      assert.ok(report.instances.every((i) => i.state === 'running'));
      const table = await s.warden(['status']);
      assert.equal(table.code, 0, table.stderr);
      const down = await s.warden(['down'], { timeoutMs: 100_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, /stopped 3600 instance\(s\)/);
      assert.deepEqual(processesOfHome(s.home), []);
    } finally {
      await s.cleanup();
    }
  });

  void it('answers status while a bring-up of 1,000 is under way, not only after it', async () => {
    const s = sandbox();
    try {
      let yaml = 'services:\n';
      for (let i = 0; i < 1000; i++) yaml += `  s${i}: {command: [sleep, '600'], min_uptime: 0}\n`;
      s.config(yaml);
      const up = s.warden(['up', '--wait', '--timeout', '100s'], { timeoutMs: 110_000 });
      let isUp = false;
      void up.finally(() => (isUp = true));
      // Before, every spawn of the bring-up ran in one turn of the daemon's event loop: a request
      // was answered before the first spawn or after the last, never with some spawned and some not.
      let midway: StatusReport['instances'] | undefined;
      while (!isUp && midway === undefined) {
        const r = await s.warden(['status', '--json']);
        if (r.code !== 0) continue; // the daemon is not there yet
        const { instances } = JSON.parse(r.stdout) as StatusReport;
        const spawned = instances.filter((i) => i.pid !== null).length;
        if (spawned > 0 && spawned < instances.length) midway = instances;
      }
      const done = await up;
      assert.equal(done.code, 0, done.stderr);
      assert.ok(midway !== undefined, 'an answer came while the bring-up was under way');
      const down = await s.warden(['down'], { timeoutMs: 100_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(processesOfHome(s.home), []);
    } finally {
      await s.cleanup();
    }
  });
});
