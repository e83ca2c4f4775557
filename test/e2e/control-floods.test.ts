// Floods of the control socket (issue 13, point 4): a deeply nested line, clients that send and
// never read, a client that pipelines thousands of requests. The daemon answers the others all
// along, and its memory comes back after each flood.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

// The daemon's resident memory (bytes), from /proc/PID/status.
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => resolve(socket));
    socket.once('error', reject);
  });
}

// Calls `onLine` with each answer line of `socket`.
function onLines(socket: Socket, onLine: (line: string) => void): void {
  let buffer = '';
  socket.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
  });
}

// Sends one request and resolves with its answer (the only request in flight on `socket`).
function ask(socket: Socket, id: number, method: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let buffer = '';
    const onData = (d: Buffer): void => {
      buffer += d.toString();
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      socket.off('data', onData);
      resolve(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
    };
    socket.on('data', onData);
    socket.write(`${JSON.stringify({ id, method })}\n`);
  });
}

const STATUS = (id: number): string => `{"id":${id},"method":"status","params":{}}\n`;

void describe('control socket floods', () => {
  let s: Sandbox;
  let pid: number;
  let sock: string;
  // RSS once the daemon has served a few requests of each kind (its settled size).
  let baseline: number;
  const settle = (what: string): Promise<number> =>
    waitFor(
      `the daemon's RSS to come back within 20% of ${baseline} after ${what}`,
      () => {
        const rss = rssOf(pid);
        return rss <= baseline * 1.2 ? rss : false;
      },
      60_000,
      200,
    );

  before(async () => {
    s = sandbox();
    s.config('services:\n  sleeper:\n    command: [sleep, "600"]\n');
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    pid = (await s.status()).daemon.pid;
    sock = join(s.home, 'warden.sock');
    const warm = await open(sock);
    for (let i = 0; i < 200; i++) await ask(warm, i, 'status');
    warm.destroy();
    baseline = rssOf(pid);
  });
  after(() => s.cleanup());

  void it('refuses a deeply nested line without building it, and keeps its memory', async () => {
    const c = await open(sock);
    // 800 KB, nested 400,000 deep: valid JSON, under the line bound.
    const deep = `${'['.repeat(400_000)}${']'.repeat(400_000)}`;
    for (let i = 0; i < 3; i++) {
      const answer = new Promise<Record<string, unknown>>((resolve) =>
        onLines(c, (l) => resolve(JSON.parse(l) as Record<string, unknown>)),
      );
      c.write(`${deep}\n`);
      const error = (await answer).error as { code: string; message: string };
      c.removeAllListeners('data');
      assert.equal(error.code, 'BAD_REQUEST');
      assert.match(error.message, /nests deeper than \d+ levels/);
    }
    // The connection still serves.
    assert.ok('result' in (await ask(c, 9, 'hello')));
    c.destroy();
    await settle('three deeply nested lines');
  });

  void it('still answers `status` while 100 clients send requests and never read', async (t) => {
    const hogs: Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const c = await open(sock);
      c.on('error', () => undefined);
      // Never read: their answers pile up unless the daemon stops taking their requests.
      c.pause();
      c.write(Array.from({ length: 5000 }, (_, n) => STATUS(n)).join(''));
      hogs.push(c);
    }
    // They have sent what the kernel took; the daemon holds what it read of it.
    await waitFor('the hogs to have written into the socket', () =>
      hogs.every((h) => h.bytesWritten > 0),
    );
    const t0 = Date.now();
    const during = await s.warden(['status', '--json'], { timeoutMs: 20_000 });
    t.diagnostic(`status took ${Date.now() - t0} ms`);
    assert.equal(during.code, 0, during.stderr);
    const rssDuring = rssOf(pid);
    assert.ok(
      rssDuring < baseline + 64 * 1024 * 1024,
      `RSS ${rssDuring} with 100 clients that do not read (baseline ${baseline})`,
    );
    t.diagnostic(`RSS: baseline ${baseline}, with the hogs ${rssDuring}`);
    for (const h of hogs) h.destroy();
    const t1 = Date.now();
    t.diagnostic(
      `RSS after: ${await settle('100 clients that did not read')} after ${Date.now() - t1} ms`,
    );
  });

  void it('serves a second client throughout while one client floods it with requests', async (t) => {
    const flooder = await open(sock);
    const total = 50_000;
    let flooderAnswers = 0;
    let flooderDone = false;
    flooder.on('data', (d: Buffer) => {
      for (const byte of d) if (byte === 0x0a) flooderAnswers++;
      if (flooderAnswers >= total) flooderDone = true;
    });
    flooder.write(Array.from({ length: total }, (_, n) => STATUS(n)).join(''));
    await waitFor('the flood to be under way', () => flooderAnswers > 0);
    // The other client asks 20 times, one after the other, while the flood runs.
    const other = await open(sock);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await ask(other, i, 'status');
      assert.ok('result' in answer);
      seen.push(flooderAnswers);
    }
    const servedDuringFlood = !flooderDone;
    await waitFor('the flooder to get all its answers', () => flooderDone, 120_000);
    other.destroy();
    flooder.destroy();
    assert.ok(
      servedDuringFlood,
      `the second client's 20 answers came only after the flood's ${total} (flooder counts: ${seen.join(', ')})`,
    );
    // Fair turns: the flooder gets a few answers per answer of the other (4 requests started per
    // connection and loop turn), not the hundreds it got when a whole read was served at once.
    const perTurn = ((seen.at(-1) ?? 0) - (seen[0] ?? 0)) / (seen.length - 1);
    assert.ok(
      perTurn < 100,
      `the flooder got ${perTurn} answers per answer of the other client (${seen.join(', ')})`,
    );
    t.diagnostic(`flooder answers when the other got each of its own: ${seen.join(', ')}`);
    await settle('a flood of 50,000 status requests');
  });
});
