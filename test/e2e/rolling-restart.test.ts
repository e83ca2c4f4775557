// `warden restart --rolling` through the built CLI, with real servers sharing a port
// (SO_REUSEPORT): an extra instance serves while each instance restarts, so a client polling
// the port all along never sees a refused or reset connection.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { processesOfHome, ROOT, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';

const SERVER = join(ROOT, 'test', 'fixtures', 'bin', 'reuseport-server.py');

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

/** True while `pid` names a live process (a zombie counts as dead). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Instance name -> pid of the running instances. */
async function running(s: Sandbox): Promise<Map<string, number>> {
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
async function upServers(
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

  void it('fails, naming it, when a new instance ends after it was running', async () => {
    // Once the marker (the old pid) exists, the extra instance (index 1) serves, then exits 1
    // as soon as the old process is gone: it reached running, then crashed and was restarted
    // automatically during the rolling restart. The new web waits for that crash before it
    // serves, so the crash comes before the rolling restart could end.
    const gate = (port: number): string =>
      [
        'if [ -e marker ] && [ "$WARDEN_INSTANCE" = 1 ]; then',
        `  python3 ${SERVER} ${port} & server=$!;`,
        '  while kill -0 "$(cat marker)" 2>/dev/null; do sleep 0.02; done;',
        '  echo "extra: lost the old process, exiting" >&2; touch crashed; kill $server; exit 1;',
        'fi;',
        'if [ -e marker ]; then while [ ! -e crashed ]; do sleep 0.02; done; fi; ',
      ].join(' ');
    const up = await upServers(gate, 1);
    s = up.s;
    writeFileSync(join(s.dir, 'marker'), String(up.pids[0]));
    const r = await s.warden(['restart', '--rolling', 'web']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /restarted one by one/);
    assert.match(r.stderr, /web:1/, 'the message names the instance that crashed');
    assert.match(r.stderr, /exit 1/, 'and its last exit');
    assert.match(r.stderr, /extra: lost the old process, exiting/, 'and its last error');
    assert.doesNotMatch(r.stderr, /internal error/);
    // The restarted instance serves; the extra one is gone.
    const now = await running(s);
    assert.deepEqual([...now.keys()], ['web']);
    assert.notEqual(now.get('web'), up.pids[0]);
  });
});
