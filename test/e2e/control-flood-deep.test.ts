// Floods of the control socket (issue 13, point 4): one deeply nested JSON line is refused
// unparsed, and the daemon's memory stays where it was.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { ask, onLines, open, rssOf } from '../helpers/control-clients.js';

void describe('control socket flood: a deeply nested request line', () => {
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
});
