// One service's log file: formatted lines appended in order through a bounded queue
// (log-queue.ts) to the file (log-writer.ts), rotated by size; failures (ENOSPC, EIO) and
// overflows counted and reported by a marker line (log-losses.ts), writing retried.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogHealth } from '../core/status.js';
import type { Clock } from '../core/clock.js';
import { logClock } from './log-clock.js';
import { LogLosses } from './log-losses.js';
import { LogQueue, unwritten, type Chunk } from './log-queue.js';
import { describe, LogWriter } from './log-writer.js';
import { DEFAULT_FORMAT, formatLogLine, type LineFormat, type Stream } from './format.js';
import { DEFAULT_ROTATION, type RotationSpec } from './rotate.js';
import { slabs } from './slab-pool.js';

export { formatLogLine, parseLogLine, type Stream } from './format.js';

/** Default bound of the queue of lines not yet written (bytes). */
export const DEFAULT_BUFFER_BYTES = 16 * 1024 * 1024;
/** Default longest pause of the readers per episode of a full queue (ms); see `room`. */
export const DEFAULT_MAX_STALL_MS = 1000;

/** Options of a LogFile. */
export interface LogFileOptions {
  rotation?: RotationSpec;
  /** Layout of the marker lines warden writes itself. */
  format?: LineFormat;
  /** Bound of the queue of lines waiting for the disk (bytes). */
  bufferBytes?: number;
  /** Delay between attempts after a write failure (ms). Default 1000. */
  retryMs?: number;
  /** Longest pause asked of the readers while the queue is full (ms). Default 1000. */
  maxStallMs?: number;
  /** The daemon log: told when writing fails, works again, or the queue overflows. */
  onError?: (message: string) => void;
  /** Time of marker lines, retries and stalls. Default: real time, timers unref'd. */
  clock?: Clock;
}

/**
 * An append-only, rotating log file. `append` never blocks and never throws: lines that cannot
 * be queued (the queue holds `bufferBytes`) or written (`ENOSPC`...) are counted, told once to
 * `onError`, and reported in the file by a line `warden: dropped N lines (REASON)` as soon as
 * writing works again (retried every `retryMs`). Lines keep their order. Readers that check
 * `room` pause while the queue is over half full, so a burst waits in the pipe instead of being
 * dropped; for `maxStallMs` at most, then the overflow rule applies.
 */
export class LogFile {
  readonly path: string;
  readonly #format: LineFormat;
  readonly #retryMs: number;
  readonly #clock: Clock;
  readonly #queue: LogQueue;
  readonly #file: LogWriter;
  readonly #losses: LogLosses;
  #isBusy = false;
  #retry: unknown;
  #reopenWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #isClosed = false;

  /** Not opened yet: the file opens at the first line (a silent service holds no fd). */
  #isUnopened = true;

  /**
   * Creates the directory of `path` (mode 0700); the file itself (mode 0600, appended to, never
   * through a symbolic link) is opened at the first line to write, or by `open`.
   * @throws Error from mkdirSync when the directory cannot be created (`EACCES`)
   */
  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#format = options.format ?? DEFAULT_FORMAT;
    this.#retryMs = options.retryMs ?? 1000;
    this.#clock = options.clock ?? logClock;
    this.#queue = new LogQueue({
      bound: options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
      maxStallMs: options.maxStallMs ?? DEFAULT_MAX_STALL_MS,
      clock: this.#clock,
    });
    const onError = options.onError ?? ((): void => undefined);
    this.#losses = new LogLosses(path, onError);
    this.#file = new LogWriter(path, {
      rotation: options.rotation ?? DEFAULT_ROTATION,
      retryMs: this.#retryMs,
      clock: this.#clock,
      onError,
    });
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  /** Opens the file now if it was not yet (a failure is handled as a failed write is). */
  open(): void {
    if (!this.#isUnopened || this.#isClosed) return;
    this.#isUnopened = false;
    this.#openFile();
  }

  /** Changes rotation from the next write on (a reload). */
  set rotation(spec: RotationSpec) {
    this.#file.rotation = spec;
  }

  /**
   * Queues `data` (`lines` whole lines, each ending in a newline) for writing. Memory cut from
   * the slab pool goes back to it once written or dropped.
   */
  append(data: Buffer, lines: number): void {
    if (this.#isClosed) this.#losses.lost(lines);
    else if (this.#losses.isDropping) this.#losses.droppedInFailure(lines);
    else if (this.#queue.isFullFor(data.length)) this.#losses.overflowed(lines);
    else {
      this.#reportOverflow();
      this.#queue.push({ data, lines, reports: 0 });
      return this.#pump();
    }
    slabs.release(data);
  }

  /** Appends one line of `instance`'s `stream` stamped with `time` (ms since the epoch). */
  write(time: number, instance: string, stream: Stream, text: string): void {
    this.append(Buffer.from(formatLogLine(time, instance, stream, text, this.#format)), 1);
  }

  /** Why writing fails (an errno name such as `ENOSPC`), or undefined while it works. */
  get error(): string | undefined {
    return this.#losses.reason;
  }

  /** Lines lost since the file was opened (a marker line reports them in the file). */
  get droppedLines(): number {
    return this.#losses.dropped;
  }

  /**
   * undefined while readers may go on; else a promise that resolves once the queue is below a
   * quarter of its bound, writing fails (then lines are counted as dropped), the file closes, or
   * `maxStallMs` passed (a disk that slow: reading goes on and the overflow rule applies).
   */
  room(): Promise<void> | undefined {
    return this.#queue.room(this.#losses.reason !== undefined || this.#isClosed);
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Dropped lines and the current error, for `status`. */
  health(): LogHealth {
    return { droppedLines: this.#losses.dropped, error: this.#losses.reason ?? null };
  }

  /**
   * Closes and opens `path` again once the write in flight is done (for an external logrotate
   * that renamed the file). Resolves once the new file is open.
   */
  reopen(): Promise<void> {
    return new Promise((resolve) => {
      this.#reopenWaiters.push(resolve);
      this.#pump();
    });
  }

  /** Resolves once every queued line is written (or dropped). */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Writes what is queued, waits for a compression in progress, and closes the file. */
  async close(): Promise<void> {
    await this.drain();
    this.#isClosed = true;
    this.#queue.endStall();
    if (this.#retry !== undefined) this.#clock.cancel(this.#retry);
    this.#file.close();
    await this.#file.compressed();
  }

  #isIdle(): boolean {
    return !this.#isBusy && (this.#queue.isEmpty || !this.#file.isOpen);
  }

  #reportOverflow(): void {
    if (!this.#losses.hasOverflow) return;
    const { text, reports } = this.#losses.overflowMarker();
    this.#queue.push({ data: this.#marker(text, false), lines: 1, reports });
  }

  #marker(text: string, isMidLine: boolean): Buffer {
    const line = formatLogLine(this.#clock.now(), 'warden', 'err', text, this.#format);
    return Buffer.from(isMidLine ? `\n${line}` : line);
  }

  #pump(): void {
    this.#queue.settle();
    if (this.#isBusy) return;
    if (!this.#queue.isEmpty) this.open();
    if (this.#reopenWaiters.length > 0) this.#reopenNow();
    if (!this.#file.isOpen || this.#queue.isEmpty) {
      if (this.#file.isOpen && this.#losses.hasOverflow) {
        this.#reportOverflow();
        return this.#pump();
      }
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const done of waiters) done();
      return;
    }
    const batch = this.#queue.take(this.#file.room, this.#file.mayOverrun());
    if (batch.length === 0) {
      void this.#rotate();
      return;
    }
    this.#isBusy = true;
    this.#file.write(batch, (error, written) => {
      this.#isBusy = false;
      this.#afterWrite(batch, error, written);
    });
  }

  #afterWrite(batch: Chunk[], error: NodeJS.ErrnoException | null, written: number): void {
    const count = error === null ? written : 0;
    const rest = unwritten(batch, count);
    let left = count;
    for (const c of batch) {
      const bytes = Math.min(left, c.data.length);
      if (bytes > 0) slabs.release(c.data, bytes);
      left -= bytes;
    }
    if (error !== null) {
      for (const c of rest) slabs.release(c.data);
      this.#fail(error, rest);
    } else if (rest.length > 0) {
      // A short write: the rest goes first next time.
      this.#queue.pushFront(rest);
    }
    this.#pump();
  }

  async #rotate(): Promise<void> {
    this.#isBusy = true;
    await this.#file.rotate();
    this.#openFile();
    this.#isBusy = false;
    this.#pump();
  }

  // Opens the file (again); a failure starts a failure episode, as a failed write does.
  #openFile(): boolean {
    try {
      this.#file.open();
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  #reopenNow(): void {
    const waiters = this.#reopenWaiters;
    this.#reopenWaiters = [];
    // Nothing written yet: the first line opens whatever file is there then.
    if (!this.#isUnopened) this.#openFile();
    for (const done of waiters) done();
  }

  // Starts (or continues) a failure episode: `lost` (chunks a failed write did not write) and the
  // queue are dropped and counted (log-losses.ts), a retry scheduled.
  #fail(error: unknown, lost: Chunk[] = []): void {
    const queued = this.#queue.clear();
    this.#losses.failed(describe(error), [...lost, ...queued]);
    for (const c of queued) slabs.release(c.data);
    this.#queue.endStall();
    this.#file.close();
    if (this.#retry === undefined && !this.#isClosed)
      this.#retry = this.#clock.after(this.#retryMs, () => this.#recover());
  }

  // Reopens the file and writes the marker; lines queue meanwhile and follow it if it works.
  #recover(): void {
    this.#retry = undefined;
    if (this.#isClosed) return;
    const text = this.#losses.retry();
    if (text === undefined || !this.#openFile()) return;
    const marker = this.#marker(text, this.#file.endsMidLine());
    this.#isBusy = true;
    this.#file.write([{ data: marker, lines: 1, reports: 0 }], (error, written) => {
      this.#isBusy = false;
      // The marker is not counted as a lost line: the next one reports its N (and more).
      if (error !== null || written !== marker.length)
        return this.#fail(error ?? new Error('short write'));
      this.#losses.recovered(text);
      this.#pump();
    });
  }
}
