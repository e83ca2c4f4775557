// A log file: rotation at the size bound with `keep` honoured, reopen after an external rename,
// and write failures: lines are counted, the failure is told once, and a marker line reports the
// loss once writing works again. ENOSPC is real: /dev/full, reached through a symlink to /dev
// (any user; a log file itself is never a link: it is opened O_NOFOLLOW). Retries run in virtual
// time (FakeClock); the writes are real.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { LogFile, parseLogLine } from '../../src/logs/log-file.js';
import { waitFor } from '../helpers/cli.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T = Date.parse('2026-01-02T03:04:05.000Z');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'warden-logfile-'));
}

function linesOf(path: string): string[] {
  const text = path.endsWith('.gz')
    ? gunzipSync(readFileSync(path)).toString('utf8')
    : readFileSync(path, 'utf8');
  return text.split('\n').filter((l) => l !== '');
}

void describe('LogFile rotation', () => {
  void it('rotates at max_size into NAME.log.1..KEEP, never exceeding the bound', async () => {
    const dir = tempDir();
    const path = join(dir, 'web.log');
    const log = new LogFile(path, { rotation: { maxBytes: 4096, keep: 3, compress: false } });
    try {
      for (let i = 0; i < 1000; i++) log.write(T, 'web', 'out', `line ${i}`.padEnd(60, '.'));
      await log.close();
      assert.deepEqual(readdirSync(dir).sort(), ['web.log', 'web.log.1', 'web.log.2', 'web.log.3']);
      for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= 4096, name);
      const kept = [3, 2, 1].flatMap((i) => linesOf(`${path}.${i}`)).concat(linesOf(path));
      const numbers = kept.map((l) => Number(/line (\d+)/.exec(l)?.[1]));
      // The newest lines, in order and without a gap: the oldest went with the files beyond keep.
      assert.equal(numbers.at(-1), 999);
      numbers.forEach((n, i) => assert.equal(n, 999 - (numbers.length - 1) + i));
      assert.equal(log.droppedLines, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('compresses rotated files in the background when asked', async () => {
    const dir = tempDir();
    const path = join(dir, 'web.log');
    const log = new LogFile(path, { rotation: { maxBytes: 4096, keep: 2, compress: true } });
    try {
      for (let i = 0; i < 300; i++) log.write(T, 'web', 'out', `line ${i}`.padEnd(60, '.'));
      await log.close();
      assert.deepEqual(readdirSync(dir).sort(), ['web.log', 'web.log.1.gz', 'web.log.2.gz']);
      const kept = [2, 1].flatMap((i) => linesOf(`${path}.${i}.gz`)).concat(linesOf(path));
      assert.match(kept.at(-1) ?? '', /line 299/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('reopen writes on in a new file after an external rename', async () => {
    const dir = tempDir();
    const path = join(dir, 'web.log');
    const log = new LogFile(path);
    try {
      log.write(T, 'web', 'out', 'before');
      await log.drain();
      renameSync(path, `${path}.old`);
      await log.reopen();
      log.write(T, 'web', 'out', 'after');
      await log.close();
      assert.match(linesOf(`${path}.old`).join('\n'), /before$/);
      assert.deepEqual(
        linesOf(path).map((l) => parseLogLine(l)?.text),
        ['after'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('LogFile write failures', () => {
  void it('reports ENOSPC once, counts dropped lines and writes a marker on recovery', async () => {
    const dir = tempDir();
    symlinkSync('/dev', join(dir, 'dev'));
    const path = join(dir, 'dev', 'full'); // every write fails with ENOSPC
    const errors: string[] = [];
    const clock = new FakeClock(T);
    const log = new LogFile(path, { retryMs: 50, onError: (m) => errors.push(m), clock });
    try {
      for (const text of ['lost 1', 'lost 2', 'lost 3']) log.write(T, 'web:0', 'out', text);
      await waitFor('three dropped lines', () => log.droppedLines >= 3);
      assert.equal(errors[0], `cannot write ${path}: ENOSPC; dropping lines until it works again`);
      assert.equal(log.error, 'ENOSPC');
      assert.deepEqual(log.health(), { droppedLines: log.droppedLines, error: 'ENOSPC' });
      assert.equal(clock.pending, 1, 'a retry is armed');

      // A retry that fails too (its marker cannot be written) arms the next one.
      clock.advance(50);
      await waitFor('the next retry', () => clock.pending === 1);
      assert.equal(log.error, 'ENOSPC');

      // The next retry creates a regular file.
      unlinkSync(join(dir, 'dev'));
      mkdirSync(join(dir, 'dev'));
      clock.advance(49);
      assert.equal(existsSync(path), false, 'no retry before retryMs');
      clock.advance(1);
      await waitFor('the file to work again', () => log.error === undefined && existsSync(path));
      log.write(T, 'web:0', 'out', 'back');
      await log.close();

      const lines = linesOf(path);
      const marker = parseLogLine(lines[0] ?? '');
      assert.equal(marker?.instance, 'warden');
      assert.equal(marker?.stream, 'err');
      assert.equal(marker?.text, `warden: dropped ${log.droppedLines} lines (ENOSPC)`);
      assert.equal(marker?.time, T + 100, 'stamped by the clock, at the retry');
      assert.equal(parseLogLine(lines[1] ?? '')?.text, 'back');
      assert.equal(errors.filter((e) => e.startsWith('cannot write')).length, 1, 'told once');
      assert.match(errors.at(-1) ?? '', /writing .* again \(warden: dropped 3 lines \(ENOSPC\)\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('counts lines beyond a full queue and reports them with a marker', async () => {
    const dir = tempDir();
    const path = join(dir, 'web.log');
    const errors: string[] = [];
    const log = new LogFile(path, { bufferBytes: 1000, onError: (m) => errors.push(m) });
    try {
      // Synchronous appends: the first write is in flight, so the queue fills.
      for (let i = 0; i < 100; i++) log.write(T, 'web', 'out', `line ${i}`.padEnd(60, '.'));
      const dropped = log.droppedLines;
      assert.ok(dropped > 0, 'some lines were dropped');
      await log.drain();
      log.write(T, 'web', 'out', 'later');
      await log.close();
      const texts = linesOf(path).map((l) => parseLogLine(l)?.text ?? '');
      assert.equal(texts.filter((t) => t.startsWith('line')).length, 100 - dropped);
      assert.ok(
        texts.includes(`warden: dropped ${dropped} lines (log queue full)`),
        texts.join('\n'),
      );
      assert.equal(texts.at(-1), 'later');
      assert.equal(errors.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
