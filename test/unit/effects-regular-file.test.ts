// readRegularFile: only regular files, never a wait on a FIFO, and a cap on what is read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  readRegularFile,
  readRegularFileSync,
  UnfitFileError,
} from '../../src/effects/files/regular-file.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-regular-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function unfit(message: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof UnfitFileError && message.test(error.message);
}

void describe('readRegularFile', () => {
  void it('reads a regular file whole, up to and including the cap', async () => {
    const path = join(dir, 'ok.env');
    writeFileSync(path, 'A=1\nB=é\n');
    assert.equal(await readRegularFile(path, 9), 'A=1\nB=é\n');
    assert.equal(readRegularFileSync(path, 9), 'A=1\nB=é\n');
  });

  void it('refuses a file over the cap, saying its size and the limit', async () => {
    const path = join(dir, 'big');
    writeFileSync(path, 'x'.repeat(2 * 1024 * 1024));
    const message = new RegExp(`^${path} is 2097152 bytes, over the 1 MiB limit$`);
    await assert.rejects(readRegularFile(path, 1024 * 1024), unfit(message));
    assert.throws(() => readRegularFileSync(path, 1024 * 1024), unfit(message));
  });

  void it('refuses a FIFO without waiting for a writer', async () => {
    const path = join(dir, 'fifo');
    execFileSync('mkfifo', [path]);
    const message = new RegExp(`^${path} is a FIFO, not a regular file$`);
    await assert.rejects(readRegularFile(path, 100), unfit(message));
    assert.throws(() => readRegularFileSync(path, 100), unfit(message));
  });

  void it('refuses a character device', async () => {
    await assert.rejects(
      readRegularFile('/dev/zero', 100),
      unfit(/^\/dev\/zero is a character device, not a regular file$/),
    );
  });

  void it('gives a directory the EISDIR of readFile', async () => {
    await assert.rejects(readRegularFile(dir, 100), { code: 'EISDIR' });
  });

  void it('caps a file whose size the kernel does not say (/proc) by what it reads', async () => {
    // /proc/self/environ says 0 bytes in fstat but has the whole environment.
    const text = await readRegularFile('/proc/self/environ', 1024 * 1024);
    assert.ok(text.includes('\0'));
    await assert.rejects(
      readRegularFile('/proc/self/environ', 4),
      unfit(/^\/proc\/self\/environ is over the 4 bytes limit$/),
    );
  });

  void it('passes on ENOENT', async () => {
    await assert.rejects(readRegularFile(join(dir, 'none'), 100), { code: 'ENOENT' });
  });
});
