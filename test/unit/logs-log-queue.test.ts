// The bounded queue of a log file: batches taken in order and cut at line ends, the unwritten
// rest of a short write put back in front, and the pause asked of the readers (virtual time).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogQueue, unwritten, type Chunk } from '../../src/logs/log-queue.js';
import { FakeClock } from '../helpers/fake-clock.js';

function chunk(text: string): Chunk {
  return { data: Buffer.from(text), lines: text.split('\n').length - 1, reports: 0 };
}

function textOf(chunks: Chunk[]): string {
  return Buffer.concat(chunks.map((c) => c.data)).toString();
}

function queue(bound = 1000, clock = new FakeClock()): LogQueue {
  return new LogQueue({ bound, maxStallMs: 30, clock });
}

void describe('LogQueue.take', () => {
  void it('takes whole chunks in order, and cuts the last at a line end within the room', () => {
    const q = queue();
    q.push(chunk('a1\na2\n'));
    q.push(chunk('b1\nb2\nb3\n'));
    const batch = q.take(10, false);
    assert.equal(textOf(batch), 'a1\na2\nb1\n');
    assert.deepEqual(
      batch.map((c) => c.lines),
      [2, 1],
    );
    assert.equal(q.bytes, 6);
    const rest = q.take(Infinity, false);
    assert.equal(textOf(rest), 'b2\nb3\n');
    assert.equal(rest[0]?.lines, 2);
    assert.equal(q.isEmpty, true);
    assert.equal(q.bytes, 0);
  });

  void it('takes nothing when no line fits, unless it may overrun: then one line whole', () => {
    const q = queue();
    q.push(chunk('a long line\nnext\n'));
    assert.deepEqual(q.take(4, false), [], 'a rotation comes first');
    assert.equal(q.bytes, 17);
    assert.equal(textOf(q.take(4, true)), 'a long line\n');
    assert.equal(textOf(q.take(4, true)), 'next\n');
  });

  void it('takes at most 512 buffers in one batch', () => {
    const q = queue(1_000_000);
    for (let i = 0; i < 600; i++) q.push(chunk(`${i}\n`));
    assert.equal(q.take(Infinity, false).length, 512);
    assert.equal(q.take(Infinity, false).length, 88);
  });

  void it('puts the unwritten rest of a short write back in front, counting its lines', () => {
    const q = queue();
    q.push(chunk('c1\n'));
    const batch = [chunk('a1\na2\n'), chunk('b1\n')];
    const rest = unwritten(batch, 4); // "a1\na" written
    assert.deepEqual(
      rest.map((c) => [c.data.toString(), c.lines]),
      [
        ['2\n', 1],
        ['b1\n', 1],
      ],
    );
    q.pushFront(rest);
    assert.equal(q.bytes, 8);
    assert.equal(textOf(q.clear()), '2\nb1\nc1\n');
    assert.equal(q.bytes, 0);
  });
});

void describe('LogQueue.room', () => {
  void it('asks for a pause over half the bound, until under a quarter', async () => {
    const q = queue(100);
    q.push(chunk(`${'x'.repeat(49)}\n`));
    assert.equal(q.room(false), undefined, 'half full is not over half');
    q.push(chunk('y\n'));
    const room = q.room(false);
    assert.ok(room !== undefined);
    assert.equal(q.room(false), room, 'one wait for every reader');
    assert.equal(q.room(true), room, 'a pause asked stays asked');
    q.take(26, false); // the 'x' line can not be cut: nothing taken
    q.settle();
    q.take(Infinity, false);
    q.settle();
    await room;
    assert.equal(q.room(false), undefined);
  });

  void it('asks no pause while writing is stopped (lines are dropped, not queued)', () => {
    const q = queue(100);
    q.push(chunk(`${'x'.repeat(60)}\n`));
    assert.equal(q.room(true), undefined);
  });

  void it('ends the pause after maxStallMs, and asks none again until it drains', async () => {
    const clock = new FakeClock();
    const q = queue(100, clock);
    q.push(chunk(`${'x'.repeat(60)}\n`));
    const room = q.room(false);
    assert.ok(room !== undefined);
    let isOver = false;
    void room.then(() => (isOver = true));
    clock.advance(29);
    await Promise.resolve();
    assert.equal(isOver, false);
    clock.advance(1);
    await room;
    assert.equal(q.room(false), undefined, 'overdue: readers read on');
    q.clear();
    q.settle();
    q.push(chunk(`${'x'.repeat(60)}\n`));
    assert.ok(q.room(false) !== undefined, 'drained: a new episode may pause again');
    q.endStall();
    assert.equal(clock.pending, 0, 'the timer of an ended pause is cancelled');
  });
});
