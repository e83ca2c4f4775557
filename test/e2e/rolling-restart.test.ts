// `warden restart --rolling` through the built CLI, with real servers sharing a port
// (SO_REUSEPORT): an extra instance serves while each instance restarts, so a client polling
// the port all along never sees a refused or reset connection.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf, isAlive } from '../helpers/procs.js';
import { running, upServers } from '../helpers/rolling.js';

/** The outcome of one connection: the pid that answered, or why it failed. */
type Probe = { pid: number } | { error: string };

/** Connects to 127.0.0.1:port and reads the answering server's pid. */
function probe(port: number): Promise<Probe> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(3000, () => socket.destroy(new Error('ETIMEDOUT: no answer in 3s')));
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
    socket.on('end', () => {
      const pid = Number(text.trim());
      resolve(Number.isInteger(pid) && pid > 0 ? { pid } : { error: `bad answer ${text}` });
    });
  });
}

/** Probes the port every 20 ms (one connection at a time) until `stop()`; returns every outcome. */
function pollPort(port: number): { stop: () => Promise<Probe[]> } {
  const results: Probe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      results.push(await probe(port));
      await new Promise((r) => setTimeout(r, Math.max(0, 20 - (Date.now() - started))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return results;
    },
  };
}

void describe('warden restart --rolling', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('restarts every instance while the port keeps answering', async () => {
    const up = await upServers();
    s = up.s;
    const poll = pollPort(up.port);
    // Restart under load only once the poller is known to get answers.
    await waitFor('a first answer on the port', () => probe(up.port).then((p) => 'pid' in p));
    const r = await s.warden(['restart', '--rolling', 'web']);
    const results = await poll.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^warden: restarted one by one web:0, web:1$/m);

    const failures = results.filter((p) => 'error' in p);
    assert.deepEqual(failures, [], `every connection was answered (of ${results.length})`);
    assert.ok(results.length >= 10, `the port was polled all along (${results.length} probes)`);

    const now = await running(s);
    assert.deepEqual([...now.keys()], ['web:0', 'web:1'], 'the extra instance left status');
    for (const old of up.pids) {
      assert.ok(![...now.values()].includes(old), `${old} was replaced`);
      assert.equal(isAlive(old), false, `old pid ${old} is gone`);
    }
    // Only the daemon and the two servers are left: the extra instance's process is gone too.
    assert.deepEqual(
      processesOfHome(s.home).sort((a, b) => a - b),
      [daemonPidOf(s.home), ...now.values()].sort((a, b) => a - b),
    );
    // Every answer came from an old instance, a new one, or the one extra instance.
    const answered = new Set(results.flatMap((p) => ('pid' in p ? [p.pid] : [])));
    const extra = [...answered].filter(
      (p) => !up.pids.includes(p) && ![...now.values()].includes(p),
    );
    assert.ok(extra.length <= 1, `answers from unknown pids: ${extra.join(', ')}`);
  });

  void it('takes exactly one service', async () => {
    const up = await upServers();
    s = up.s;
    const instance = await s.warden(['restart', '--rolling', 'web:1']);
    assert.equal(instance.code, 2, instance.stderr);
    assert.match(
      instance.stderr,
      /--rolling takes a service name, not an instance: try "restart --rolling web"/,
    );
    for (const args of [['web', 'web'], ['all'], []]) {
      const r = await s.warden(['restart', '--rolling', ...args]);
      assert.equal(r.code, 2, `restart --rolling ${args.join(' ')}: ${r.stderr}`);
      const why = args.length === 0 ? /needs at least one SERVICE/ : /takes exactly one SERVICE/;
      assert.match(r.stderr, why);
    }
    assert.deepEqual([...(await running(s)).values()], up.pids, 'nothing was restarted');
  });

  void it('stops when the extra instance fails to start, leaving the old ones alone', async () => {
    const up = await upServers('if [ -e marker ]; then echo "marker found" >&2; exit 1; fi; ');
    s = up.s;
    // From now on every new start of web fails; the ones running are not affected.
    writeFileSync(join(s.dir, 'marker'), '');
    const r = await s.warden(['restart', '--rolling', 'web']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /web:2/, 'the message names the instance that did not come up');
    const now = await running(s);
    assert.deepEqual(
      [...now.entries()],
      [
        ['web:0', up.pids[0]],
        ['web:1', up.pids[1]],
      ],
    );
    assert.deepEqual(
      (await s.status()).instances.map((i) => i.name),
      ['web:0', 'web:1'],
      'the extra instance left status',
    );
    // A service that fails to start is the user's problem, not a bug of warden.
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  void it('stops when a restarted instance fails, keeping `instances` instances running', async () => {
    // Only web:0 fails once the marker exists: the extra instance (web:2) comes up, web:0 does not.
    const up = await upServers(
      'if [ -e marker ] && [ "$WARDEN_INSTANCE" = 0 ]; then echo "marker found" >&2; exit 1; fi; ',
    );
    s = up.s;
    writeFileSync(join(s.dir, 'marker'), '');
    const r = await s.warden(['restart', '--rolling', 'web']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /web:0/, 'the message names the instance that did not come up');
    const now = await running(s);
    assert.equal(now.get('web:1'), up.pids[1], 'web:1, after the failed one, was not touched');
    assert.ok(
      now.size >= 2,
      `at least 2 instances still run (running: ${[...now.keys()].join(', ') || 'none'})`,
    );
  });
});
