// NDJSON framing: lines split across chunks, the bound on an unfinished line, and the nesting
// scan that runs before JSON.parse.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTooDeep, LineReader } from '../../src/ipc/ndjson.js';

const take = (r: LineReader): string[] => {
  const out: string[] = [];
  for (let l = r.shift(); l !== undefined; l = r.shift()) out.push(l.toString('utf8'));
  return out;
};

void describe('LineReader', () => {
  void it('joins a line split across chunks, keeps multi-byte characters and skips blank lines', () => {
    const r = new LineReader(1024);
    const text = Buffer.from('{"a":"é"}\n  \n{"b":1}\n{"c"');
    for (let i = 0; i < text.length; i++) assert.ok(r.push(text.subarray(i, i + 1)));
    assert.deepEqual(take(r), ['{"a":"é"}', '{"b":1}']);
    assert.equal(r.heldBytes, 4);
    r.push(Buffer.from(':2}\n'));
    assert.deepEqual(take(r), ['{"c":2}']);
    assert.equal(r.heldBytes, 0);
  });

  void it('gives lines out one at a time, holding the rest', () => {
    const r = new LineReader(1024);
    r.push(Buffer.from('1\n2\n3\n'));
    assert.equal(r.shift()?.toString(), '1');
    assert.ok(r.hasLines);
    assert.equal(r.heldBytes, 2);
  });

  void it('refuses an unfinished line past the bound, and a complete one, then ignores input', () => {
    const partial = new LineReader(8);
    assert.ok(partial.push(Buffer.from('12345678')));
    assert.equal(partial.push(Buffer.from('9')), false);
    assert.equal(partial.push(Buffer.from('\nok\n')), false);
    assert.equal(partial.shift(), undefined);
    const whole = new LineReader(8);
    assert.equal(whole.push(Buffer.from('123456789\n')), false);
    assert.equal(whole.heldBytes, 0);
  });
});

void describe('isTooDeep', () => {
  void it('counts brackets outside strings only', () => {
    assert.equal(isTooDeep(Buffer.from('[[[1]]]'), 3), false);
    assert.equal(isTooDeep(Buffer.from('[[[[1]]]]'), 3), true);
    assert.equal(isTooDeep(Buffer.from('{"a":{"b":[{}]}}'), 3), true);
    assert.equal(isTooDeep(Buffer.from('{"a":"[[[[[[\\"[[[["}'), 1), false);
    assert.equal(isTooDeep(Buffer.from('[1],[2],[3],[4]'), 1), false);
  });

  void it('scans a line of a million brackets without parsing it', () => {
    assert.equal(isTooDeep(Buffer.from('['.repeat(1_000_000))), true);
  });
});
