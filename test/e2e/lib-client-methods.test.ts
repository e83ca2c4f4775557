// connect(): every method of the control protocol beyond status/start/stop/restart/events, each
// driven through the library's typed client against a real daemon started by `warden up`.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { connect, RemoteError } from '../../src/lib/index.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { isAlive } from '../helpers/procs.js';

const SERVICES = `
services:
  sleeper:
    command: [sleep, "600"]
    min_uptime: 100ms
  trapper:
    command: trap 'echo got HUP' HUP; echo trapping; while :; do sleep 0.1; done
    ready: { log: "^trapping" }
  crasher:
    command: exit 3
    restart: never
`;

function readLog(s: Sandbox, service: string): string {
  try {
    return readFileSync(join(s.home, 'logs', `${service}.log`), 'utf8');
  } catch {
    return '';
  }
}

void describe('connect(): the other methods', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('up, wait, signal, ps and reopenLogs', async () => {
    s = sandbox();
    const config = s.config(SERVICES);
    assert.equal((await s.warden(['up', '--wait', 'sleeper'])).code, 0);
    const client = await connect({ home: s.home });
    try {
      const up = await client.up(config, ['trapper']);
      assert.deepEqual(up.started, ['trapper']);
      assert.deepEqual(up.warnings, []);
      await assert.rejects(
        client.up(join(s.dir, 'other.yaml')),
        (e) => e instanceof RemoteError && e.code === 'CONFIG_MISMATCH',
      );

      // Ready once its trap is set: a HUP before would end it.
      const waited = await client.wait(['trapper'], { timeoutMs: 15_000 });
      assert.deepEqual(
        waited.instances.map((i) => [i.name, i.state]),
        [['trapper', 'running']],
      );
      const pid = waited.instances[0]?.pid;
      assert.ok(typeof pid === 'number');

      assert.deepEqual(await client.signal('HUP', ['trapper']), {
        signal: 'SIGHUP',
        instances: ['trapper'],
      });
      await waitFor('the HUP trap to print', () => readLog(s, 'trapper').includes('got HUP'));
      await assert.rejects(
        client.signal('SIGNOPE', ['trapper']),
        (e) => e instanceof RemoteError && e.code === 'INVALID_PARAMS',
      );

      const ps = await client.ps(['trapper']);
      assert.equal(ps.length, 1);
      assert.equal(ps[0]?.instance, 'trapper');
      assert.equal(ps[0]?.state, 'running');
      assert.equal(ps[0]?.pid, pid);
      assert.ok(ps[0]?.processes.some((p) => p.pid === pid && p.rssBytes > 0));

      const reopened = await client.reopenLogs();
      assert.deepEqual(
        [...reopened.files].sort(),
        ['crasher', 'sleeper', 'trapper'].map((n) => join(s.home, 'logs', `${n}.log`)),
      );
    } finally {
      client.close();
    }
  });

  void it('wait fails with NOT_RUNNING and the statuses of what does not run', async () => {
    s = sandbox();
    const config = s.config(SERVICES);
    assert.equal((await s.warden(['up', '--wait', 'sleeper'])).code, 0);
    const client = await connect({ home: s.home });
    try {
      await client.up(config, ['crasher']);
      await assert.rejects(client.wait(['sleeper', 'crasher'], { timeoutMs: 15_000 }), (e) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.code, 'NOT_RUNNING');
        assert.match(e.message, /crasher is exited/);
        const details = e.details as { name: string; state: string }[];
        assert.deepEqual(
          details.map((d) => [d.name, d.state]),
          [['crasher', 'exited']],
        );
        return true;
      });
    } finally {
      client.close();
    }
  });

  void it('reload: a dry run changes nothing, then the difference is applied', async () => {
    s = sandbox();
    const config = s.config(SERVICES);
    assert.equal((await s.warden(['up', '--wait', 'sleeper'])).code, 0);
    const client = await connect({ home: s.home });
    try {
      writeFileSync(config, `${SERVICES}  added:\n    command: [sleep, "600"]\n`);
      const plan = await client.reload({ dryRun: true });
      assert.deepEqual(plan.added, ['added']);
      assert.deepEqual((await client.status()).instances.map((i) => i.name).sort(), [
        'crasher',
        'sleeper',
        'trapper',
      ]);
      const applied = await client.reload();
      assert.deepEqual(applied.added, ['added']);
      assert.ok((await client.status(['added'])).instances.length === 1);

      writeFileSync(config, 'services: {sleeper: {comand: x}}\n');
      await assert.rejects(
        client.reload(),
        (e) => e instanceof RemoteError && e.code === 'CONFIG_ERROR',
      );
    } finally {
      client.close();
    }
  });

  void it('a rolling restart that cannot go on fails with ROLLING_RESTART_FAILED', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    command: if [ -e marker ]; then exit 1; fi; exec sleep 600
    instances: 2
    min_uptime: 100ms
    backoff: { initial: 50ms, max: 100ms }
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    // From now on every new start of web fails: the extra instance never runs.
    writeFileSync(join(s.dir, 'marker'), '');
    const client = await connect({ home: s.home });
    try {
      await assert.rejects(
        client.restart(['web'], { rolling: true }),
        (e) =>
          e instanceof RemoteError &&
          e.code === 'ROLLING_RESTART_FAILED' &&
          /web:2/.test(e.message),
      );
    } finally {
      client.close();
    }
  });

  void it('down stops every service, then the daemon', async () => {
    s = sandbox();
    s.config(SERVICES);
    assert.equal((await s.warden(['up', '--wait', 'sleeper', 'trapper'])).code, 0);
    const sleeper = (await s.status()).instances.find((i) => i.name === 'sleeper')?.pid;
    assert.ok(typeof sleeper === 'number');
    const client = await connect({ home: s.home });
    try {
      assert.deepEqual(await client.down(), { stopped: 3, kept: 0 });
    } finally {
      client.close();
    }
    await waitFor('the daemon to exit', () => !isAlive(client.daemon.pid));
    assert.equal(isAlive(sleeper), false);
  });

  void it('down with keepServices leaves the services running', async () => {
    s = sandbox();
    s.config(SERVICES);
    assert.equal((await s.warden(['up', '--wait', 'sleeper'])).code, 0);
    const sleeper = (await s.status()).instances.find((i) => i.name === 'sleeper')?.pid;
    assert.ok(typeof sleeper === 'number');
    const client = await connect({ home: s.home });
    try {
      assert.deepEqual(await client.down({ keepServices: true }), { stopped: 0, kept: 3 });
    } finally {
      client.close();
    }
    await waitFor('the daemon to exit', () => !isAlive(client.daemon.pid));
    assert.equal(isAlive(sleeper), true);
  });
});
