// The in-memory tail behind `status`: bounded in lines and in characters per line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TAIL_LINE_CHARS, TailBuffer } from '../../src/logs/tail-buffer.js';

void describe('TailBuffer', () => {
  void it('keeps the last lines up to its capacity, and forgets them on clear', () => {
    const tail = new TailBuffer(2);
    for (const line of ['a', 'b', 'c']) tail.push(line);
    assert.deepEqual(tail.lines(), ['b', 'c']);
    tail.clear();
    assert.deepEqual(tail.lines(), []);
  });

  void it('cuts a line longer than 512 characters and marks it with …', () => {
    const tail = new TailBuffer(3);
    tail.push('x'.repeat(MAX_TAIL_LINE_CHARS));
    tail.push('y'.repeat(100_000));
    const [whole, cut] = tail.lines();
    assert.equal(MAX_TAIL_LINE_CHARS, 512);
    assert.equal(whole, 'x'.repeat(512));
    assert.equal(cut, `${'y'.repeat(511)}…`);
  });

  void it('never cuts between the halves of a surrogate pair', () => {
    const tail = new TailBuffer(1, 6);
    tail.push('abcd😀efgh');
    assert.equal(tail.lines()[0], 'abcd…');
  });
});
