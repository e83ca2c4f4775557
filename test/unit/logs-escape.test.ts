// The capture's clean-bytes check on lines of every length at every alignment: a short line
// (an empty one, `}`) at an offset that is not a multiple of 4 once threw a RangeError, which
// cost the rest of its chunk under `warden run` and with `format: json`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClean } from '../../src/logs/escape.js';

void describe('isClean', () => {
  void it('takes any range of a buffer, however short and wherever it starts', () => {
    const buf = Buffer.from('abcdefgh}\n\nxyz\u0001ijklmnop');
    for (let start = 0; start <= 12; start++)
      for (let end = start; end <= Math.min(start + 6, 14); end++)
        assert.equal(isClean(buf, start, end), end <= 14, `${start}..${end}`);
    assert.equal(isClean(buf, 13, 15), false, 'a control byte');
  });
});
