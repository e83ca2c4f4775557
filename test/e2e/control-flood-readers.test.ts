// Floods of the control socket (issue 13, point 4): 100 clients that send and never read;
// `status` still answers, and the daemon's memory comes back once they are gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor, type Sandbox } from '../helpers/cli.js';
import { STATUS, open, rssOf, floodTarget } from '../helpers/control-clients.js';
import type { Socket } from 'node:net';

void describe('control socket flood: clients that never read', () => {
  let s: Sandbox;
  let pid: number;
  let sock: string;
  let baseline: number;
  let settle: (what: string) => Promise<number>;
  before(async () => ({ s, pid, sock, baseline, settle } = await floodTarget()));
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
