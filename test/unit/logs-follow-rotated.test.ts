// Catching up after rotations: the files rotated between the one a follower held and the new
// one are found even while a rotation is shifting them (a number briefly missing).
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { identityOf, readRotatedAfter } from '../../src/logs/follow-rotated.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-follow-rotated-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The identity of `file` as a follower holding it open sees it.
function identity(file: string): string {
  const fd = openSync(file, 'r');
  try {
    return identityOf(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

void describe('readRotatedAfter', () => {
  void it('reads the files between held and next, oldest first', () => {
    const path = join(dir, 'a.log');
    writeFileSync(`${path}.3`, 'held\n');
    writeFileSync(`${path}.2`, 'b1\nb2\n');
    writeFileSync(`${path}.1`, 'c1\n');
    writeFileSync(path, 'next\n');
    const lines: string[] = [];
    readRotatedAfter(path, identity(`${path}.3`), identity(path), (l) => lines.push(l));
    assert.deepEqual(lines, ['b1', 'b2', 'c1']);
  });

  void it('skips a number left empty by a rotation in progress', () => {
    // shiftFiles renames from the highest number down: mid-way, `.1` has become `.2` and the
    // file being rotated is not yet `.1`, so `.1` is missing for a moment.
    const path = join(dir, 'a.log');
    writeFileSync(`${path}.4`, 'held\n');
    writeFileSync(`${path}.3`, 'b1\nb2\n');
    writeFileSync(`${path}.2`, 'c1\n');
    writeFileSync(path, 'next\n');
    const lines: string[] = [];
    readRotatedAfter(path, identity(`${path}.4`), identity(path), (l) => lines.push(l));
    assert.deepEqual(lines, ['b1', 'b2', 'c1']);
  });

  void it('skips a missing number higher up too', () => {
    const path = join(dir, 'a.log');
    writeFileSync(`${path}.5`, 'held\n');
    writeFileSync(`${path}.3`, 'b1\n');
    writeFileSync(`${path}.2`, 'c1\n');
    writeFileSync(`${path}.1`, 'd1\n');
    writeFileSync(path, 'next\n');
    const lines: string[] = [];
    readRotatedAfter(path, identity(`${path}.5`), identity(path), (l) => lines.push(l));
    assert.deepEqual(lines, ['b1', 'c1', 'd1']);
  });

  void it('reads nothing when held is gone', () => {
    const path = join(dir, 'a.log');
    writeFileSync(`${path}.1`, 'c1\n');
    writeFileSync(path, 'next\n');
    const lines: string[] = [];
    readRotatedAfter(path, 'gone/0', identity(path), (l) => lines.push(l));
    assert.deepEqual(lines, []);
  });
});
