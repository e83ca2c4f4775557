// Reading output pipes: a real pipe of the size asked (F_SETPIPE_SZ applied), read in order to
// EOF through the shared buffer, output read before the capture is attached kept, reading
// paused while the log has no room and resumed after; LogFile.room: over half full asks for a
// pause, which ends once the queue drains, or after maxStallMs (virtual time). No fixed sleeps:
// each test waits for what it needs to have happened (a read, a drained write, a turn of the loop).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { makePipe, pipeSize, setPipeSize } from '../../src/effects/ffi/fds.js';
import { LogFile } from '../../src/logs/log-file.js';
import {
  GATHER_MS,
  openOutputReader,
  readOutput,
  READ_BYTES,
} from '../../src/effects/spawn/output-reader.js';
import type { StreamCapture } from '../../src/logs/service-log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T = Date.parse('2026-01-02T03:04:05.000Z');

/** A capture that keeps what it is fed (copied, as a real one does). */
function recorder(room: () => Promise<void> | undefined = () => undefined) {
  const chunks: Buffer[] = [];
  let ended = false;
  const capture: StreamCapture = {
    push: (chunk) => void chunks.push(Buffer.from(chunk)),
    end: () => void (ended = true),
    room,
  };
  return { capture, text: () => Buffer.concat(chunks).toString(), isEnded: () => ended };
}

function waitUntil(test: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (test()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out'));
      setTimeout(poll, 5);
    };
    poll();
  });
}

/**
 * Resolves once the pipe readers have had their chance: after a gathering pause (GATHER_MS) that
 * began before this was called has ended (Node fires timers of one duration in the order they
 * were armed), and after the poll phase of the loop turn that follows, where a pipe with data
 * and reading on is read (setImmediate runs after that poll phase). Not a guess at how long
 * something takes: an order of events.
 */
async function afterReadersHadTheirTurn(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

void describe('output pipes', () => {
  void it('makes a close-on-exec pipe and applies the size asked for', () => {
    const [r, w] = makePipe();
    try {
      assert.equal(setPipeSize(r, 1024 * 1024), 1024 * 1024);
      assert.equal(pipeSize(w), 1024 * 1024, 'one pipe: both ends see the size');
      const max = Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
      assert.ok(max >= 1024 * 1024, 'the default pipe-max-size allows OUTPUT_PIPE_BYTES');
    } finally {
      closeSync(r);
      closeSync(w);
    }
  });

  void it('reads everything in order to EOF, including what came before the capture', async () => {
    const [r, w] = makePipe();
    const [r2, w2] = makePipe();
    setPipeSize(r, 1024 * 1024);
    const pipe = openOutputReader(r);
    const other = openOutputReader(r2);
    const writers = new Set([w, w2]);
    const endWriter = (fd: number): void => {
      if (writers.delete(fd)) closeSync(fd);
    };
    try {
      writeSync(w, 'early\n');
      await waitUntil(() => pipe.bytesRead === 'early\n'.length); // read before any capture
      // Another pipe's read, also before its capture, goes into the same shared buffer: what the
      // first kept must be a copy.
      writeSync(w2, 'EARLY\n');
      await waitUntil(() => other.bytesRead === 'EARLY\n'.length);
      const rec = recorder();
      readOutput(pipe, rec.capture, (e) => assert.fail(e));
      const otherRec = recorder();
      readOutput(other, otherRec.capture, (e) => assert.fail(e));
      endWriter(w2);
      await waitUntil(otherRec.isEnded);
      assert.equal(otherRec.text(), 'EARLY\n');
      let expected = 'early\n';
      for (let i = 0; i < 2000; i++) {
        const line = `${String(i).padStart(8, '0')} ${'y'.repeat(200)}\n`;
        expected += line;
        writeSync(w, line);
      }
      endWriter(w);
      await waitUntil(rec.isEnded);
      assert.equal(rec.text(), expected);
      assert.ok(expected.length > 4 * READ_BYTES, 'more than a few reads');
    } finally {
      for (const fd of writers) closeSync(fd);
      pipe.destroy();
      other.destroy();
    }
  });

  void it('pauses while the log has no room and resumes after', async () => {
    const [r, w] = makePipe();
    const pipe = openOutputReader(r);
    let release: () => void = () => undefined;
    let full = true;
    const room = new Promise<void>((resolve) => (release = resolve));
    const rec = recorder(() => (full ? room : undefined));
    readOutput(pipe, rec.capture, (e) => assert.fail(e));
    writeSync(w, 'first\n');
    await waitUntil(() => rec.text() === 'first\n');
    writeSync(w, 'second\n');
    await afterReadersHadTheirTurn();
    assert.equal(rec.text(), 'first\n', 'not read while paused');
    assert.equal(pipe.bytesRead, 'first\n'.length, 'left in the pipe');
    full = false;
    release();
    await waitUntil(() => rec.text() === 'first\nsecond\n');
    closeSync(w);
    await waitUntil(rec.isEnded);
  });

  void it('pauses any other Readable likewise', async () => {
    const stream = new PassThrough();
    let release: () => void = () => undefined;
    const room = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const rec = recorder(() => (calls++ === 0 ? room : undefined));
    readOutput(stream, rec.capture, (e) => assert.fail(e));
    stream.write('a\n');
    await waitUntil(() => rec.text() === 'a\n');
    assert.equal(stream.isPaused(), true);
    release();
    await waitUntil(() => !stream.isPaused());
    stream.end('b\n');
    await waitUntil(rec.isEnded);
    assert.equal(rec.text(), 'a\nb\n');
  });
});

void describe('LogFile.room', () => {
  void it('asks readers to pause over half the bound, until the queue drains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-room-'));
    // Virtual time: the pause can end only by the queue draining, however slow the disk is.
    const log = new LogFile(join(dir, 'web.log'), { bufferBytes: 4000, clock: new FakeClock() });
    try {
      assert.equal(log.room(), undefined);
      for (let i = 0; i < 40; i++) log.write(T, 'web', 'out', `line ${i}`.padEnd(60, '.'));
      const room = log.room();
      assert.ok(room !== undefined, `queued ${log.queuedBytes}`);
      assert.equal(log.room(), room, 'one wait for every reader');
      await room;
      assert.ok(log.queuedBytes < 1000);
      assert.equal(log.room(), undefined);
      assert.equal(log.droppedLines, 0);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('gives up waiting after maxStallMs: reading goes on, the overflow rule applies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-room-'));
    // A stuck disk: the log is a FIFO of one page that nobody reads, so the second write blocks.
    const path = join(dir, 'web.log');
    execFileSync('mkfifo', [path]);
    const fifo = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    setPipeSize(fifo, 4096);
    const clock = new FakeClock();
    const log = new LogFile(path, { bufferBytes: 4000, maxStallMs: 30, clock });
    const block = (): Buffer => Buffer.from(`${'z'.repeat(2999)}\n`);
    try {
      log.append(block(), 1); // written at once: the FIFO has room for it
      log.append(block(), 1); // queued, then taken for a write that blocks
      await waitUntil(() => log.queuedBytes === 0);
      log.append(block(), 1);
      const room = log.room();
      assert.ok(room !== undefined, 'over half full');
      let isOver = false;
      void room.then(() => (isOver = true));
      clock.advance(29);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(isOver, false, 'waits until maxStallMs');
      clock.advance(1);
      await room;
      assert.ok(log.queuedBytes > 2000, 'still full');
      assert.equal(log.room(), undefined, 'readers go on until the queue drains');
      log.append(block(), 1);
      assert.equal(log.droppedLines, 1, 'then the overflow rule drops');
    } finally {
      const drained = Buffer.alloc(65536);
      const reading = setInterval(() => {
        try {
          readSync(fifo, drained);
        } catch {
          // EAGAIN: empty for now
        }
      }, 5);
      await log.close();
      clearInterval(reading);
      closeSync(fifo);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
