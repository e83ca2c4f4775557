// The one errno table: a number's first name (11 is EAGAIN, not EWOULDBLOCK), and the errno name
// of a thrown error, Node's or a SyscallError.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { errnoName, errnoOf, SyscallError } from '../../src/effects/ffi/errno.js';

void describe('errno', () => {
  void it('names a number by its first name, and knows no name for an unknown one', () => {
    assert.equal(errnoName(2), 'ENOENT');
    assert.equal(errnoName(11), 'EAGAIN');
    assert.equal(errnoName(99_999), undefined);
  });

  void it('gives a SyscallError the same name as errnoName', () => {
    const error = new SyscallError('waitid', 11);
    assert.equal(error.code, 'EAGAIN');
    assert.equal(error.message, 'waitid failed: EAGAIN');
    assert.equal(new SyscallError('poll', 99_999).code, 'E99999');
  });

  void it('reads the errno name of a thrown error, and nothing else', () => {
    let thrown: unknown;
    const dir = mkdtempSync(join(tmpdir(), 'warden-errno-'));
    try {
      readFileSync(join(dir, 'missing'));
    } catch (error) {
      thrown = error;
    } finally {
      rmSync(dir, { recursive: true });
    }
    assert.equal(errnoOf(thrown), 'ENOENT');
    assert.equal(errnoOf(new SyscallError('pipe2', 24)), 'EMFILE');
    assert.equal(errnoOf(new Error('no code')), undefined);
    assert.equal(errnoOf(Object.assign(new Error('numeric'), { code: 5 })), undefined);
    assert.equal(errnoOf('ENOENT'), undefined);
  });
});
