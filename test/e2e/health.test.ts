// health: probes after `running` (liveness). A service that stops answering shows
// `health: failing (n/3)` while below the threshold, then is restarted as a failure with the
// reason in status; an exec probe that hangs is cut at its timeout, its process group killed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import { ROOT, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort } from '../helpers/http.js';
import { isAlive } from '../helpers/procs.js';

const SERVER = join(ROOT, 'test', 'fixtures', 'bin', 'fading-server.py');

async function instance(s: Sandbox): Promise<InstanceStatus> {
  const i = (await s.status()).instances[0];
  assert.ok(i !== undefined);
  return i;
}

void describe('health', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  for (const kind of ['tcp', 'http'] as const) {
    void it(`a ${kind} check that starts failing restarts the instance after 3 failures`, async () => {
      s = sandbox();
      const port = await freePort();
      const check = kind === 'tcp' ? `tcp: ${port}` : `http: http://127.0.0.1:${port}/`;
      s.config(`
services:
  web:
    command: [python3, ${JSON.stringify(SERVER)}, "${port}", "2500"]
    ready: { tcp: ${port} }
    health: { ${check}, interval: 1200ms, timeout: 500ms, failures: 3 }
`);
      assert.equal((await s.warden(['up', '--wait'])).code, 0);
      const first = await instance(s);
      assert.deepEqual(first.health, {
        state: 'ok',
        failures: 0,
        threshold: 3,
        lastError: null,
        lastRestart: null,
      });
      const failing = await waitFor('health failing below the threshold', async () => {
        const i = await instance(s);
        return i.health?.state === 'failing' && i.pid === first.pid && i;
      });
      assert.equal(failing.state, 'running');
      assert.match(failing.health?.lastError ?? '', /^connect ECONNREFUSED$/);
      const table = await s.warden(['status']);
      assert.match(table.stdout, /health: failing \([12]\/3\): connect ECONNREFUSED/);
      const again = await waitFor(
        'a restart by the health check',
        async () => {
          const i = await instance(s);
          return i.pid !== first.pid && i.state === 'running' && i;
        },
        20_000,
      );
      assert.equal(again.restarts, 1);
      assert.deepEqual(again.lastExit, { signal: 'SIGTERM', coreDumped: false });
      assert.match(
        again.health?.lastRestart?.reason ?? '',
        /^health check failed 3 times: connect ECONNREFUSED$/,
      );
      const shown = await s.warden(['status']);
      assert.match(shown.stdout, /restarted: health check failed 3 times: connect ECONNREFUSED/);
      const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
      assert.match(
        log,
        /web: running -> stopping \(health check failed 3 times: connect ECONNREFUSED: SIGTERM\)/,
      );
    });
  }

  void it('exec probes that hang are cut at their timeout, each instance its own', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    command: exec sleep 300
    instances: 3
    min_uptime: 100ms
    health:
      exec: 'echo $$ >> probes.pid; sleep 300 & echo $! >> probes.pid; wait'
      interval: 300ms
      timeout: 400ms
      failures: 20
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    // Each instance runs its own probes, at once: one hanging holds up no other.
    const failing = await waitFor('every instance failing its probes', async () => {
      const all = (await s.status()).instances;
      return all.every((i) => i.health?.state === 'failing') && all;
    });
    assert.equal(failing.length, 3);
    for (const i of failing) assert.match(i.health?.lastError ?? '', /no success within 400ms/);
    assert.equal((await s.warden(['status'])).code, 0);
    const pids = readFileSync(join(s.dir, 'probes.pid'), 'utf8').trim().split('\n').map(Number);
    assert.ok(pids.length >= 2, `probe pids: ${pids.join(',')}`);
    const [shell, sleeper] = pids;
    await waitFor(
      'the first probe and its child gone',
      () => !isAlive(shell ?? 0) && !isAlive(sleeper ?? 0),
      5000,
    );
  });

  void it('refuses health without a probe and with a log probe, naming the key', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    command: exec sleep 300
    health: { log: ready, failures: 2 }
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2);
    assert.match(
      up.stderr,
      /services\.web\.health\.log: "log" is not a known key; known keys: tcp, http, exec,/,
    );
    assert.doesNotMatch(up.stderr, /undefined/);
    s.config(`
services:
  web:
    command: exec sleep 300
    health: { failures: 2 }
`);
    const none = await s.warden(['up']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /services\.web\.health: needs one probe: tcp, http, exec/);
    assert.equal((await s.warden(['status'])).code, 3);
  });
});
