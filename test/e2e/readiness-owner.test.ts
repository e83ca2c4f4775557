// A tcp or http readiness check counts only for a listening socket of the instance's own tree
// (docs/config/ready.md): a port held by another program never makes a service `running`, and
// `status --json` says who holds it. In both containment modes, through bin/warden.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, type TestContext } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { freePort } from '../helpers/readiness.js';

// An HTTP server on 127.0.0.1:$PORT answering 200; it dies with EADDRINUSE when the port is taken.
const SERVER = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');`;

/**
 * A service `node server.js` on `port` with readiness `ready` (a YAML flow mapping); `isChild`:
 * under a shell that stays, so that the listener is a child's, not the main process's.
 */
function service(name: string, port: number, ready: string, isChild = false): string {
  const node = JSON.stringify(process.execPath);
  const command = isChild ? JSON.stringify(`${node} server.js; exit $?`) : `[${node}, server.js]`;
  return `
  ${name}:
    command: ${command}
    env: { PORT: "${port}" }
    ready: ${ready}
    backoff: { initial: 100ms, max: 200ms }
    start_limit: { burst: 50, interval: 1m }`;
}

/** Another program listening on `port` (an HTTP server answering 200), killed after the test. */
async function foreignListener(t: TestContext, port: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', SERVER], {
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  t.after(() => child.kill('SIGKILL'));
  const pid = child.pid;
  assert.ok(pid !== undefined);
  await waitFor(`the foreign listener on ${port}`, () => isListening(port));
  return pid;
}

// True once /proc/net/tcp shows a listening socket (state 0A) on 127.0.0.1:port.
function isListening(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((l) => l.includes(` ${local} `) && l.split(/\s+/)[4] === '0A');
}

async function instance(s: Sandbox, name: string): Promise<InstanceStatus> {
  const found = (await s.status()).instances.find((i) => i.name === name);
  assert.ok(found, `instance ${name} in status`);
  return found;
}

for (const mode of ['cgroup', 'process-group'] as const) {
  void describe(`ready is the instance's own (${mode})`, () => {
    let s: Sandbox;
    afterEach(() => s.cleanup());

    function start(yaml: string): void {
      s = sandbox();
      s.env.WARDEN_CONTAINMENT = mode;
      s.config(`services:${yaml}\n`);
      writeFileSync(join(s.dir, 'server.js'), SERVER);
    }

    void it('a port held by another program is not ready, and status names its holder', async (t) => {
      const port = await freePort();
      const holder = await foreignListener(t, port);
      start(
        service('tcp', port, `{ tcp: ${port}, interval: 50ms }`) +
          service('http', port, `{ http: "http://127.0.0.1:${port}/", interval: 50ms }`),
      );
      const up = await s.warden(['up', '--wait', '--timeout', '3s']);
      assert.notEqual(up.code, 0, `up --wait must not report ready: ${up.stdout}`);
      const held = `port ${port} is held by pid ${holder} (node), not by this instance`;
      assert.match(up.stderr, new RegExp(`not ready: (tcp|http) .*held by pid ${holder} `));
      for (const name of ['tcp', 'http']) {
        const seen = await waitFor(`${name}: the holder in status`, async () => {
          const i = await instance(s, name);
          return i.waiting?.includes(held) === true && i;
        });
        assert.notEqual(seen.state, 'running');
        assert.ok(seen.restarts >= 1, 'it died with EADDRINUSE and was restarted');
      }
      const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
      assert.doesNotMatch(log, /(tcp|http): starting -> running/);
      assert.ok(log.includes(`tcp: ready tcp 127.0.0.1:${port}: not yet: ${held}`), log);
      const table = await s.warden(['status']);
      assert.match(table.stdout, new RegExp(`not ready: .*held by pid ${holder}`));
    });

    void it("its own listener makes it ready (tcp and http), a child's too", async (t) => {
      const [tcpPort, httpPort] = [await freePort(), await freePort()];
      start(
        service('tcp', tcpPort, `{ tcp: ${tcpPort}, interval: 50ms }`, true) +
          service('http', httpPort, `{ http: "http://127.0.0.1:${httpPort}/", interval: 50ms }`),
      );
      const up = await s.warden(['up', '--wait', '--timeout', '20s']);
      assert.equal(up.code, 0, up.stderr);
      const st = await s.status();
      if (st.daemon.containment !== mode)
        t.diagnostic(`${mode} not usable here: tested as ${st.daemon.containment}`);
      for (const i of st.instances) {
        assert.equal(i.state, 'running');
        assert.equal(i.readySource, i.name);
        assert.equal(i.waiting, null);
      }
    });
  });
}
