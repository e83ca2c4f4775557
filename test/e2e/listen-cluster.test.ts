// The cluster example (examples/cluster/server.mjs: listenFds() and notifyReady() from the
// library) as 4 instances on one port warden holds: each instance gets connections, and neither
// a rolling nor a plain restart under a request loop refuses one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ROOT, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { ask, askInLoop, boundPort } from '../helpers/listen.js';

const SERVER = join(ROOT, 'examples', 'cluster', 'server.mjs');

/** The pid in the example's JSON answer. */
function pidOf(line: string): number {
  return (JSON.parse(line) as { pid: number }).pid;
}

async function upCluster(s: Sandbox): Promise<{ port: number; pids: number[] }> {
  s.config(`
services:
  web:
    command: [node, ${JSON.stringify(SERVER)}]
    instances: 4
    listen: [{ name: http, address: "127.0.0.1:0" }]
    ready: { notify: true }
    stop_timeout: 10s
`);
  const up = await s.warden(['up', '--wait'], { timeoutMs: 120_000 });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const r = await s.status();
  assert.deepEqual(
    r.instances.map((i) => i.state),
    ['running', 'running', 'running', 'running'],
  );
  return { port: await boundPort(s, 'web'), pids: r.instances.map((i) => i.pid ?? 0) };
}

void describe('listen: 4 Node instances on one port (examples/cluster)', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  void it('gives connections to every instance', async () => {
    const box = (s = sandbox());
    const { port, pids } = await upCluster(box);
    const seen = new Set<number>();
    await waitFor(
      'an answer from each of the 4 instances',
      async () => {
        // Connections in parallel: each instance gets some while the others are busy.
        const answers = await Promise.all(Array.from({ length: 8 }, () => ask(port, true)));
        for (const a of answers) {
          assert.ok('line' in a, JSON.stringify(a));
          seen.add(pidOf(a.line));
        }
        return seen.size === 4;
      },
      90_000,
      0,
    );
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      pids.sort((a, b) => a - b),
    );
    const sockets = (await box.status()).sockets;
    assert.deepEqual(
      sockets.map((k) => [k.service, k.name, k.address, k.fd]),
      [['web', 'http', '127.0.0.1:0', 3]],
    );
  });

  for (const how of [['--rolling'], []]) {
    void it(`refuses no connection through a ${how.length > 0 ? 'rolling' : 'plain'} restart`, async () => {
      const box = (s = sandbox());
      const { port, pids } = await upCluster(box);
      const loop = askInLoop(port, true);
      await waitFor('a first answer', async () => 'line' in (await ask(port, true)));
      const r = await box.warden(['restart', ...how, 'web'], { timeoutMs: 180_000 });
      // Requests go on until the new instances answer.
      const fresh = await waitFor(
        'an answer from a new instance',
        async () => {
          const a = await ask(port, true);
          return 'line' in a && !pids.includes(pidOf(a.line));
        },
        60_000,
      );
      const answers = await loop.stop();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(fresh);
      const failed = answers.filter((a) => 'error' in a);
      assert.deepEqual(failed, [], `every request was answered (of ${answers.length})`);
      assert.ok(answers.length >= 5, `requests went on all along (${answers.length})`);
      const now = (await box.status()).instances.map((i) => i.pid ?? 0);
      for (const old of pids) assert.ok(!now.includes(old), `${old} was replaced`);
    });
  }
});
