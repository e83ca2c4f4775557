// Readiness through bin/warden as a user runs it: sd_notify from systemd-notify and from
// redis-server, a tcp check, a service that never becomes ready, a notify from outside the
// tree, and the watchdog.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { runProcess, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort, skipWithout } from '../helpers/readiness.js';

const NO_SYSTEMD_NOTIFY = skipWithout('systemd-notify', 'apt-get install systemd');
const NO_REDIS = skipWithout('redis-server', 'apt-get install redis-server');

async function instance(s: Sandbox, name: string) {
  const found = (await s.status()).instances.find((i) => i.name === name);
  assert.ok(found, `instance ${name} in status`);
  return found;
}

void describe('ready through the CLI', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it(
    'notify: running at systemd-notify --ready, with its STATUS= text',
    { skip: NO_SYSTEMD_NOTIFY },
    async () => {
      s = sandbox();
      s.config(`
services:
  svc:
    command: systemd-notify --status="warming up" && systemd-notify --ready --status="serving" && exec sleep 300
    ready: { notify: true, timeout: 20s }
`);
      const up = await s.warden(['up', '--wait']);
      assert.equal(up.code, 0, up.stderr);
      const svc = await instance(s, 'svc');
      assert.equal(svc.state, 'running');
      assert.equal(svc.readySource, 'notify');
      assert.equal(svc.statusText, 'serving');
    },
  );

  void it('notify: redis-server --supervised systemd', { skip: NO_REDIS }, async () => {
    s = sandbox();
    const port = await freePort();
    s.config(`
services:
  db:
    command: [redis-server, --port, "${port}", --bind, 127.0.0.1, --save, "", --appendonly, "no", --supervised, systemd]
    ready: { notify: true, timeout: 20s }
`);
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const db = await instance(s, 'db');
    assert.equal(db.state, 'running');
    assert.equal(db.readySource, 'notify');
    assert.equal(db.statusText, 'Ready to accept connections');
    const down = await s.warden(['down']);
    assert.equal(down.code, 0, down.stderr);
  });

  void it('tcp: starting until the port listens, then running', async () => {
    s = sandbox();
    const port = await freePort();
    const server = `setInterval(() => {}, 1e9); process.on('SIGUSR2', () => require('net').createServer().listen(${port}, '127.0.0.1'))`;
    s.config(`
services:
  web:
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}]
    ready: { tcp: ${port}, interval: 50ms }
`);
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor('a refused check in the log', () =>
      readFileSync(join(s.home, 'warden.log'), 'utf8').includes('ECONNREFUSED'),
    );
    assert.equal((await instance(s, 'web')).state, 'starting');
    assert.equal((await s.warden(['signal', 'SIGUSR2', 'web'])).code, 0);
    const wait = await s.warden(['wait', 'web', '--timeout', '10s']);
    assert.equal(wait.code, 0, wait.stderr);
    assert.equal((await instance(s, 'web')).readySource, 'tcp');
  });

  void it('never ready: failed after its start limit, with the reason', async () => {
    s = sandbox();
    const port = await freePort();
    s.config(`
services:
  never:
    command: exec sleep 300
    ready: { tcp: ${port}, timeout: 300ms, interval: 50ms }
    backoff: { initial: 50ms, max: 100ms }
    start_limit: { burst: 2, interval: 1m }
`);
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 1);
    const never = await waitFor('failed', async () => {
      const i = await instance(s, 'never');
      return i.state === 'failed' && i;
    });
    assert.match(never.reason ?? '', /start limit: 3 failed starts .*not ready in time/);
  });

  for (const containment of ['cgroup', 'process-group']) {
    void it(
      `notify from outside the tree is ignored (${containment})`,
      { skip: NO_SYSTEMD_NOTIFY },
      async () => {
        s = sandbox();
        s.env.WARDEN_CONTAINMENT = containment;
        s.config(`
services:
  svc:
    command: exec sleep 300
    ready: { notify: true, timeout: 60s }
`);
        assert.equal((await s.warden(['up'])).code, 0);
        const env = { ...s.env, NOTIFY_SOCKET: join(s.home, 'notify.sock') };
        const outsider = await runProcess('systemd-notify', ['--ready', '--status=forged'], {
          env,
        });
        assert.equal(outsider.code, 0, outsider.stderr);
        const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
        assert.match(log, /notify: refused a message from pid \d+: not in the process tree/);
        const svc = await instance(s, 'svc');
        assert.equal(svc.state, 'starting');
        assert.equal(svc.statusText, null);
      },
    );
  }

  void it(
    'watchdog: silent instance killed and restarted; a pinging one stays running',
    { skip: NO_SYSTEMD_NOTIFY },
    async () => {
      s = sandbox();
      s.config(`
services:
  silent:
    command: systemd-notify --ready && exec sleep 300
    ready: { notify: true }
    watchdog: 300ms
    backoff: { initial: 50ms, max: 100ms }
  pinger:
    command: systemd-notify --ready; while systemd-notify WATCHDOG=1; do sleep 0.05; done
    ready: { notify: true }
    watchdog: 2s
`);
      assert.equal((await s.warden(['up', '--wait'])).code, 0);
      await waitFor('a watchdog restart', async () => (await instance(s, 'silent')).restarts >= 1);
      assert.match(
        readFileSync(join(s.home, 'warden.log'), 'utf8'),
        /silent: .*no WATCHDOG=1 for 300ms/,
      );
      const pinger = await instance(s, 'pinger');
      assert.equal(pinger.state, 'running');
      assert.equal(pinger.restarts, 0);
    },
  );
});
