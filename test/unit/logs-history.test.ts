// Reading logs back: the last N lines (0 included, multibyte text across chunk boundaries).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { lastLines, takeLast } from '../../src/logs/history.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

void describe('lastLines', () => {
  void it('gives no line for n = 0', () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'one\ntwo\nthree\n');
    assert.deepEqual(lastLines(path, 0), []);
    assert.deepEqual(lastLines(path, 2), ['two', 'three']);
    assert.deepEqual(lastLines(path, 9), ['one', 'two', 'three']);
  });

  void it('keeps a multibyte character cut by the 64 KiB chunk boundary whole', () => {
    const path = join(dir, 'utf8.log');
    const long = 'é'.repeat(40_000); // 2 bytes each
    writeFileSync(path, `first\n${long}\nlast1\n`);
    // The last 64 KiB chunk starts this many bytes before the end of the é run: odd, mid-character.
    assert.equal((65_536 - Buffer.byteLength('\nlast1\n')) % 2, 1);
    assert.deepEqual(lastLines(path, 2), [long, 'last1']);
    assert.deepEqual(lastLines(path, 3), ['first', long, 'last1']);
  });

  void it('is [] for a missing file', () => {
    assert.deepEqual(lastLines(join(dir, 'none.log'), 5), []);
  });
});

void describe('takeLast', () => {
  void it('takes none for 0, unlike slice(-0)', () => {
    assert.deepEqual(takeLast([1, 2, 3], 0), []);
    assert.deepEqual(takeLast([1, 2, 3], 2), [2, 3]);
    assert.deepEqual(takeLast([1, 2, 3], 5), [1, 2, 3]);
  });
});
