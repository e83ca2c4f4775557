// Reading logs back: the last N lines (0 included, multibyte text across chunk boundaries, long
// lines, a last line without newline), where `follow` goes on, and the filter's fast paths.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { formatLogLine } from '../../src/logs/format.js';
import { readHistory, type HistoryOptions } from '../../src/logs/history.js';
import { lineFilter, splitLine, timeOf } from '../../src/logs/line-filter.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lastLines(path: string, n: number, options: Partial<HistoryOptions> = {}): string[] {
  const lines: string[] = [];
  const starts = readHistory([path], (b, s, e) => lines.push(b.toString('utf8', s, e)), {
    lines: n,
    ...options,
  });
  for (const s of starts.values()) closeSync(s.fd);
  return lines;
}

void describe('readHistory', () => {
  void it('gives no line for n = 0', () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'one\ntwo\nthree\n');
    assert.deepEqual(lastLines(path, 0), []);
    assert.deepEqual(lastLines(path, 2), ['two', 'three']);
    assert.deepEqual(lastLines(path, 9), ['one', 'two', 'three']);
  });

  void it('keeps a multibyte character cut by a chunk boundary whole', () => {
    const path = join(dir, 'utf8.log');
    const long = 'é'.repeat(200_000); // 2 bytes each: longer than a chunk
    writeFileSync(path, `first\n${long}\nlast1\n`);
    assert.deepEqual(lastLines(path, 2), [long, 'last1']);
    assert.deepEqual(lastLines(path, 3), ['first', long, 'last1']);
  });

  void it('keeps empty lines and a last line without newline, unless following', () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'one\n\nthree\nhalf');
    assert.deepEqual(lastLines(path, 3), ['', 'three', 'half']);
    const lines: string[] = [];
    const starts = readHistory([path], (b, s, e) => lines.push(b.toString('utf8', s, e)), {
      lines: 3,
      isFollow: true,
    });
    assert.deepEqual(lines, ['one', '', 'three']);
    const start = starts.get(path);
    assert.equal(start?.offset, 'one\n\nthree\n'.length);
    if (start !== undefined) closeSync(start.fd);
  });

  void it('is [] for a missing file', () => {
    assert.deepEqual(lastLines(join(dir, 'none.log'), 5), []);
  });
});

void describe('lineFilter', () => {
  const t = Date.parse('2026-12-01T10:20:30.456Z');
  const line = formatLogLine(t, 'web:1', 'err', 'Error: listen EADDRINUSE').trimEnd();

  void it('splits a line as parseLogLine does, in both time zones', () => {
    assert.deepEqual(splitLine(line), {
      time: t,
      instance: 'web:1',
      stream: 'err',
      text: 'Error: listen EADDRINUSE',
    });
    for (const token of [
      '2026-12-01T10:20:30.456Z',
      '2026-12-01T10:20:59.999+01:00',
      '2026-12-31T23:59:01.000-05:30',
      '2026-12-01T10:20:30Z',
      'not-a-time',
    ])
      assert.deepEqual(timeOf(token), Date.parse(token), token);
    assert.equal(splitLine('plain text'), undefined);
    assert.equal(splitLine('2026-12-01T10:20:30.456Z web:1 bad | x'), undefined);
  });

  void it('keeps what the query asks for and rules out regions only when it may', () => {
    const f = lineFilter({ pattern: /EADDR/, instances: new Set(['web:1']) });
    assert.equal(f?.keep(line), true);
    assert.equal(f?.keep(line.replace('web:1', 'web:0')), false);
    assert.equal(f?.mayKeepAny(Buffer.from('a\nb\n')), false);
    assert.equal(f?.mayKeepAny(Buffer.from(`x\n${line}\n`)), true);
    const re = lineFilter({ pattern: /EADD?R/ });
    assert.equal(re?.mayKeepAny(Buffer.from('a\nb\n')), false);
    assert.equal(re?.mayKeepAny(Buffer.from(`x\n${line}\n`)), true);
    // An anchored pattern matches the text alone: a region cannot rule it out.
    assert.equal(lineFilter({ pattern: /^Error/ })?.mayKeepAny(Buffer.from('nothing\n')), true);
    assert.equal(lineFilter({}), undefined);
  });
});
