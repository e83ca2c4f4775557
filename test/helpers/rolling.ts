// Shared setup of the rolling-restart tests: real servers sharing a loopback port
// (SO_REUSEPORT), started by warden, and who runs.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, sandbox, waitFor, type Sandbox } from './cli.js';

/** A TCP server answering each connection with its pid; `SERVER PORT`. */
export const SERVER = join(ROOT, 'test', 'fixtures', 'bin', 'reuseport-server.py');

/** A loopback port free right now (the kernel picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Instance name -> pid of the running instances. */
export async function running(s: Sandbox): Promise<Map<string, number>> {
  const r = await s.status();
  return new Map(
    r.instances.flatMap((i) => (i.state === 'running' && i.pid !== null ? [[i.name, i.pid]] : [])),
  );
}

/**
 * `instances` (2) instances of the reuseport server on a free port; `gate` is shell run before
 * the server (it may exit 1 to fail the start; a function gets the port). Ready at their
 * "listening on" line.
 */
export async function upServers(
  gate: string | ((port: number) => string) = '',
  instances = 2,
): Promise<{ s: Sandbox; port: number; pids: number[] }> {
  const s = sandbox();
  const port = await freePort();
  if (typeof gate === 'function') gate = gate(port);
  s.config(`
services:
  web:
    command: ${JSON.stringify(`${gate}exec python3 ${SERVER} ${port}`)}
    instances: ${instances}
    ready: { log: "^listening on" }
    stop_timeout: 5s
`);
  const up = await s.warden(['up', '--wait']);
  assert.equal(up.code, 0, up.stderr);
  const names = instances === 1 ? ['web'] : ['web:0', 'web:1'];
  const pids = await waitFor(`${names.join(' and ')} running`, async () => {
    const r = await running(s);
    return r.size === names.length && names.map((n) => r.get(n) ?? 0);
  });
  return { s, port, pids };
}
