// A search with few matches reads the log once: the lines kept on the way backward are held
// (up to a budget) and printed from memory; past the budget, they are read again.
import assert from 'node:assert/strict';
import fs, { closeSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { formatLogLine } from '../../src/logs/format.js';
import { readHistory } from '../../src/logs/history.js';
import { KeptLines } from '../../src/logs/kept-lines.js';
import { lineFilter } from '../../src/logs/line-filter.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-kept-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const t0 = Date.parse('2026-12-01T00:00:00Z');
const logText = (from: number, to: number): string => {
  let text = '';
  for (let i = from; i <= to; i++)
    text += formatLogLine(t0 + i, 'a', 'out', `line ${i} ${'x'.repeat(40)}`);
  return text;
};

// The texts of the lines `readHistory` gives for `--grep pattern -n n`, and the bytes it read.
function search(paths: string[], pattern: RegExp, n: number): { texts: string[]; bytes: number } {
  const texts: string[] = [];
  const read = fs.readSync;
  let bytes = 0;
  const spy = mock.method(fs, 'readSync', (...args: Parameters<typeof fs.readSync>) => {
    const got = read(...args);
    bytes += got;
    return got;
  });
  syncBuiltinESMExports();
  try {
    const starts = readHistory(
      paths,
      (b, s, e) => texts.push(b.toString('utf8', s, e).split(' | ')[1] ?? ''),
      { lines: n, filter: lineFilter({ pattern }) },
    );
    for (const s of starts.values()) closeSync(s.fd);
  } finally {
    spy.mock.restore();
    syncBuiltinESMExports();
  }
  return { texts: texts.map((t) => t.replace(/ x+$/, '')), bytes };
}

void describe('kept lines', () => {
  void it('a search with few matches reads the log once', () => {
    const path = join(dir, 'a.log');
    writeFileSync(`${path}.1`, logText(1, 40_000));
    writeFileSync(path, logText(40_001, 80_000));
    const size = statSync(path).size + statSync(`${path}.1`).size;
    const r = search([path], /line (17|4242|79999) /, 1000);
    assert.deepEqual(r.texts, ['line 17', 'line 4242', 'line 79999']);
    assert.ok(r.bytes <= size, `read ${r.bytes} bytes of ${size}`);
  });

  void it('gives the last N matches in order, across files and logs', () => {
    const a = join(dir, 'a.log');
    writeFileSync(`${a}.1`, logText(1, 3000));
    writeFileSync(a, logText(3001, 6000));
    const want = Array.from({ length: 6000 }, (_, i) => `line ${i + 1}`).filter((l) =>
      / \d*7$/.test(l),
    );
    assert.deepEqual(search([a], / \d*7 /, 100).texts, want.slice(-100));
    assert.deepEqual(search([a], / \d*7 /, 10_000).texts, want);
  });

  void it('lets the lines go past its budget', () => {
    const kept = new KeptLines(200);
    kept.add('b');
    kept.add('a');
    const cursor = kept.cursor();
    const got: string[] = [];
    while (cursor?.next() === true) got.push(cursor.buf.toString('utf8', cursor.start, cursor.end));
    assert.deepEqual(got, ['a', 'b']);
    kept.add('x'.repeat(200));
    assert.equal(kept.isWhole, false);
    assert.equal(kept.cursor(), undefined);
    kept.add('y');
    assert.equal(kept.cursor(), undefined);
  });
});
