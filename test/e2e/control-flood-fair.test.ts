// Floods of the control socket (issue 13, point 4): one client pipelines 50,000 requests;
// another is served all along, in fair turns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor, type Sandbox } from '../helpers/cli.js';
import { STATUS, ask, open, floodTarget } from '../helpers/control-clients.js';

void describe('control socket flood: a flooding client', () => {
  let s: Sandbox;
  let sock: string;
  let settle: (what: string) => Promise<number>;
  before(async () => ({ s, sock, settle } = await floodTarget()));
  after(() => s.cleanup());

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
    // Fair turns: the flooder gets a few answers per answer of the other (one request started per
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
