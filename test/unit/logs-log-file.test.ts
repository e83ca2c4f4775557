// A log file that cannot be written: lines are counted, the failure is told once, and a marker
// line reports the loss once writing works again. ENOSPC is real in both tests: /dev/full
// behind a symlink (any user), and a full 64 KiB tmpfs (root only; skipped otherwise).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogFile, parseLogLine } from '../../src/logs/log-file.js';
import { waitFor } from '../helpers/cli.js';

const T = Date.parse('2026-01-02T03:04:05.000Z');

// Writes a line per poll until `isDone`; the file reopens at most once a second.
async function writeUntil(log: LogFile, what: string, isDone: () => boolean): Promise<number> {
  let k = 0;
  await waitFor(
    what,
    () => {
      log.write(T, 'web:1', 'out', `probe ${++k}`);
      return isDone();
    },
    10_000,
    50,
  );
  return k;
}

void describe('LogFile write failures', () => {
  void it('reports ENOSPC once, counts dropped lines and writes a marker on recovery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-logfile-'));
    const path = join(dir, 'web.log');
    symlinkSync('/dev/full', path); // every write fails with ENOSPC
    const errors: string[] = [];
    const log = new LogFile(path, (message) => errors.push(message));
    try {
      for (const text of ['lost 1', 'lost 2', 'lost 3']) log.write(T, 'web:0', 'out', text);
      await waitFor('three dropped lines', () => log.droppedLines === 3);
      assert.deepEqual(errors, [
        `cannot write ${path}: ENOSPC; dropping lines until it works again`,
      ]);
      assert.equal(log.error, 'ENOSPC');

      unlinkSync(path); // the next reopen creates a regular file
      await writeUntil(log, 'the file to work again', () => existsSync(path));
      await waitFor('the episode to end', () => log.error === undefined);
      await log.close();

      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      const marker = parseLogLine(lines[0] ?? '');
      assert.deepEqual(marker, {
        time: T,
        instance: 'web:1',
        stream: 'err',
        text: `warden: dropped ${log.droppedLines} lines (ENOSPC)`,
      });
      assert.ok(log.droppedLines > 3, 'lines written before the reopen were dropped too');
      assert.match(lines[1] ?? '', / web:1 out \| probe \d+$/);
      assert.equal(errors.length, 1, 'told once per episode');
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('recovers on a full tmpfs and starts the marker on a line of its own', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-logfile-'));
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a tmpfs (needs root): ${String(error).split('\n')[0]}`);
      return;
    }
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(32 * 1024));
    const path = join(mnt, 'web.log');
    const errors: string[] = [];
    const log = new LogFile(path, (message) => errors.push(message));
    try {
      // 100 KiB of 100-byte lines into the other 32 KiB: a short write leaves half a line.
      for (let i = 0; i < 1000; i++) log.write(T, 'web:0', 'out', `fill ${i}`.padEnd(62, '.'));
      await waitFor('the failure', () => log.error === 'ENOSPC');
      assert.deepEqual(errors, [
        `cannot write ${path}: ENOSPC; dropping lines until it works again`,
      ]);

      unlinkSync(filler);
      await writeUntil(log, 'the marker', () => readFileSync(path, 'utf8').includes('dropped'));
      await waitFor('the episode to end', () => log.error === undefined);
      await log.close();

      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      const markers = lines.filter((l) => l.includes('warden: dropped'));
      assert.equal(markers.length, 1);
      assert.deepEqual(parseLogLine(markers[0] ?? ''), {
        time: T,
        instance: 'web:1',
        stream: 'err',
        text: `warden: dropped ${log.droppedLines} lines (ENOSPC)`,
      });
      assert.ok(log.droppedLines > 0);
      assert.equal(errors.length, 1);
    } finally {
      await log.close();
      execFileSync('umount', ['-l', mnt]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
