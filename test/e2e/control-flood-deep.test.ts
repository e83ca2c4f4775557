// Floods of the control socket (issue 13, point 4): one deeply nested JSON line is refused
// unparsed, and the daemon's memory stays where it was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Sandbox } from '../helpers/cli.js';
import { ask, onLines, open, floodTarget } from '../helpers/control-clients.js';

void describe('control socket flood: a deeply nested request line', () => {
  let s: Sandbox;
  let sock: string;
  let settle: (what: string) => Promise<number>;
  before(async () => ({ s, sock, settle } = await floodTarget()));
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
