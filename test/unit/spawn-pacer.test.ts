// SpawnPacer: a few spawns an event-loop turn, the rest in later turns, in the order they came,
// with I/O and other callbacks let in between.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpawnPacer } from '../../src/runtime/spawn-pacer.js';

/** Resolves once the pacer has nothing waiting (each check one turn later). */
async function drained(pacer: SpawnPacer): Promise<void> {
  for (let turns = 0; pacer.waiting > 0; turns++) {
    assert.ok(turns < 1000, 'the pacer drains');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

void describe('SpawnPacer', () => {
  void it('runs perTurn jobs at once and the rest in later turns, first come first served', async () => {
    const pacer = new SpawnPacer(4);
    const ran: number[] = [];
    for (let i = 0; i < 10; i++) pacer.run(() => ran.push(i));
    assert.deepEqual(ran, [0, 1, 2, 3], 'the first turn runs its share');
    assert.equal(pacer.waiting, 6);
    await drained(pacer);
    assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  void it('lets other callbacks of the event loop run between its turns', async () => {
    const pacer = new SpawnPacer(2);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) pacer.run(() => order.push(`job ${i}`));
    // Queued behind the pacer's own next turn: runs after jobs 2-3, before jobs 4-5.
    setImmediate(() => order.push('other'));
    await drained(pacer);
    assert.deepEqual(order, ['job 0', 'job 1', 'job 2', 'job 3', 'other', 'job 4', 'job 5']);
  });

  void it('a job that comes while others wait goes after them, even in a new turn', async () => {
    const pacer = new SpawnPacer(1);
    const ran: string[] = [];
    pacer.run(() => ran.push('a'));
    pacer.run(() => ran.push('b'));
    await new Promise((resolve) => setImmediate(resolve));
    pacer.run(() => ran.push('c'));
    await drained(pacer);
    assert.deepEqual(ran, ['a', 'b', 'c']);
  });

  void it('a new turn has its share again', async () => {
    const pacer = new SpawnPacer(3);
    const ran: number[] = [];
    for (let i = 0; i < 3; i++) pacer.run(() => ran.push(i));
    await drained(pacer);
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 3; i < 6; i++) pacer.run(() => ran.push(i));
    assert.deepEqual(ran, [0, 1, 2, 3, 4, 5], 'all at once: the turn had room');
  });
});
