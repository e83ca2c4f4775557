// Floods of the control socket (issue 13, point 4): 100 clients that send and never read;
// `status` still answers, and the daemon's memory comes back once they are gone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { STATUS, ask, open, rssOf } from '../helpers/control-clients.js';
import type { Socket } from 'node:net';

void describe('control socket flood: clients that never read', () => {
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
});
