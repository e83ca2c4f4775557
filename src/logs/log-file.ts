// One service's log file: formatted lines appended in order through a bounded queue, written
// by async writev (libuv's thread pool), so a slow disk never stalls the event loop; rotated
// by size; failures (ENOSPC, EIO) and overflows counted and reported by a marker line.
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  write as fsWrite,
  writev as fsWritev,
} from 'node:fs';
import { dirname } from 'node:path';
import type { LogHealth } from '../core/status.js';
import { DEFAULT_FORMAT, formatLogLine, type LineFormat, type Stream } from './format.js';
import { DEFAULT_ROTATION, gzipFile, shiftFiles, type RotationSpec } from './rotate.js';
import { slabs } from './slab-pool.js';

export { formatLogLine, parseLogLine, type Stream } from './format.js';

/** Default bound of the queue of lines not yet written (bytes). */
export const DEFAULT_BUFFER_BYTES = 16 * 1024 * 1024;
/**
 * Largest single write (bytes). Measured (bench/logs.ts): 1 MiB costs less CPU than 8 MiB (the
 * kernel copies lines formatted a moment ago, still in the CPU's cache); readers pause on a full
 * queue (`room`), so a write need not take all that one turn of the event loop read.
 */
const MAX_BATCH_BYTES = 1024 * 1024;
/**
 * `a+` that never follows a symbolic link (O_NOFOLLOW: ELOOP), so that a link planted in the
 * home cannot make a root daemon append to another file (docs/security.md). Only the open
 * changes: writes cost what they did.
 */
const OPEN_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
/** Default longest pause of the readers per episode of a full queue (ms); see `room`. */
export const DEFAULT_MAX_STALL_MS = 1000;
/** Most buffers in one writev (IOV_MAX is 1024 on Linux). */
const MAX_IOV = 512;
const NL = 0x0a;

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
}

interface Chunk {
  data: Buffer;
  lines: number;
  /**
   * For a marker line of warden's own (`warden: dropped N lines`): N, which is reported again
   * by the next marker if this one is lost; 0 for the service's lines.
   */
  reports: number;
}

/** Readers asked to pause until the queue drains (see `room`). */
interface Stall {
  room: Promise<void>;
  end: () => void;
  timer: NodeJS.Timeout;
}

interface Failure {
  reason: string;
  /** Lines lost in this episode that no marker has reported yet. */
  dropped: number;
  /** A marker write is in flight: lines are queued again meanwhile. */
  isRetrying: boolean;
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
  #rotation: RotationSpec;
  readonly #format: LineFormat;
  readonly #bufferBytes: number;
  readonly #retryMs: number;
  readonly #maxStallMs: number;
  readonly #onError: (message: string) => void;
  #queue: Chunk[] = [];
  #queued = 0;
  #fd: number | null = null;
  #size = 0;
  #isBusy = false;
  #failure: Failure | undefined;
  #overflow = 0;
  #dropped = 0;
  #retry: NodeJS.Timeout | undefined;
  #compressing: Promise<void> = Promise.resolve();
  #reopenWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #rotateAfter = 0;
  #isClosed = false;
  #stall: Stall | undefined;
  /** A stall ran out of time: readers read on (and lines overflow) until the queue drains. */
  #isOverdue = false;

  /** Not opened yet: the file opens at the first line (a silent service holds no fd). */
  #isUnopened = true;

  /**
   * Creates the directory of `path` (mode 0700); the file itself (mode 0600, appended to, never
   * through a symbolic link) is opened at the first line to write, or by `open`.
   * @throws Error from mkdirSync when the directory cannot be created (`EACCES`)
   */
  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#rotation = options.rotation ?? DEFAULT_ROTATION;
    this.#format = options.format ?? DEFAULT_FORMAT;
    this.#bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.#retryMs = options.retryMs ?? 1000;
    this.#maxStallMs = options.maxStallMs ?? DEFAULT_MAX_STALL_MS;
    this.#onError = options.onError ?? (() => undefined);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  /** Opens the file now if it was not yet (a failure is handled as a failed write is). */
  open(): void {
    if (!this.#isUnopened || this.#isClosed) return;
    this.#isUnopened = false;
    try {
      this.#openSync();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Changes rotation from the next write on (a reload). */
  set rotation(spec: RotationSpec) {
    this.#rotation = spec;
  }

  /**
   * Queues `data` (`lines` whole lines, each ending in a newline) for writing. Memory cut from
   * the slab pool goes back to it once written or dropped.
   */
  append(data: Buffer, lines: number): void {
    if (this.#isClosed) return this.#lose(lines, data);
    if (this.#failure !== undefined && !this.#failure.isRetrying) {
      this.#failure.dropped += lines;
      return this.#lose(lines, data);
    }
    if (this.#queued + data.length > this.#bufferBytes) {
      if (this.#overflow === 0)
        this.#onError(
          `log queue of ${this.path} is full (the disk is slower than the output); dropping lines`,
        );
      this.#overflow += lines;
      return this.#lose(lines, data);
    }
    this.#reportOverflow();
    this.#enqueue({ data, lines, reports: 0 });
    this.#pump();
  }

  /** Appends one line of `instance`'s `stream` stamped with `time` (ms since the epoch). */
  write(time: number, instance: string, stream: Stream, text: string): void {
    this.append(Buffer.from(formatLogLine(time, instance, stream, text, this.#format)), 1);
  }

  /** Why writing fails (an errno name such as `ENOSPC`), or undefined while it works. */
  get error(): string | undefined {
    return this.#failure?.reason;
  }

  /** Lines lost since the file was opened (a marker line reports them in the file). */
  get droppedLines(): number {
    return this.#dropped;
  }

  /**
   * undefined while readers may go on; else a promise that resolves once the queue is below a
   * quarter of its bound, writing fails (then lines are counted as dropped), the file closes, or
   * `maxStallMs` passed (a disk that slow: reading goes on and the overflow rule applies).
   */
  room(): Promise<void> | undefined {
    if (this.#stall !== undefined) return this.#stall.room;
    const isFull = this.#queued > this.#bufferBytes / 2;
    if (!isFull || this.#isOverdue || this.#failure !== undefined || this.#isClosed) return;
    let end = (): void => undefined;
    const room = new Promise<void>((resolve) => (end = resolve));
    const timer = setTimeout(() => {
      this.#isOverdue = true;
      this.#endStall();
    }, this.#maxStallMs);
    timer.unref();
    this.#stall = { room, end, timer };
    return room;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Dropped lines and the current error, for `status`. */
  health(): LogHealth {
    return { droppedLines: this.#dropped, error: this.#failure?.reason ?? null };
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
    this.#endStall();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#closeFd();
    await this.#compressing;
  }

  #isIdle(): boolean {
    return !this.#isBusy && (this.#queue.length === 0 || this.#fd === null);
  }

  #enqueue(chunk: Chunk): void {
    this.#queue.push(chunk);
    this.#queued += chunk.data.length;
  }

  #reportOverflow(): void {
    if (this.#overflow === 0) return;
    const reports = this.#overflow;
    const text = `warden: dropped ${reports} lines (log queue full)`;
    this.#overflow = 0;
    this.#enqueue({ data: this.#marker(text, false), lines: 1, reports });
  }

  #marker(text: string, isMidLine: boolean): Buffer {
    const line = formatLogLine(Date.now(), 'warden', 'err', text, this.#format);
    return Buffer.from(isMidLine ? `\n${line}` : line);
  }

  #lose(lines: number, data?: Buffer): void {
    this.#dropped += lines;
    if (data !== undefined) slabs.release(data);
  }

  #endStall(): void {
    if (this.#stall === undefined) return;
    clearTimeout(this.#stall.timer);
    this.#stall.end();
    this.#stall = undefined;
  }

  #pump(): void {
    if (this.#queued < this.#bufferBytes / 4) {
      this.#isOverdue = false;
      this.#endStall();
    }
    if (this.#isBusy) return;
    if (this.#queue.length > 0) this.open();
    if (this.#reopenWaiters.length > 0) this.#reopenNow();
    if (this.#fd === null || this.#queue.length === 0) {
      if (this.#fd !== null && this.#overflow > 0) {
        this.#reportOverflow();
        return this.#pump();
      }
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const done of waiters) done();
      return;
    }
    const max = this.#rotation.maxBytes;
    const room = max === null ? Infinity : max - this.#size;
    const batch = this.#takeBatch(room);
    if (batch.length === 0) {
      void this.#rotate();
      return;
    }
    this.#isBusy = true;
    const fd = this.#fd;
    const done = (error: NodeJS.ErrnoException | null, written: number): void => {
      this.#isBusy = false;
      this.#afterWrite(batch, error, written);
    };
    if (batch.length === 1) {
      const data = (batch[0] as Chunk).data;
      fsWrite(fd, data, 0, data.length, null, done);
    } else {
      fsWritev(
        fd,
        batch.map((c) => c.data),
        done,
      );
    }
  }

  // Takes chunks from the queue's front up to `room` bytes, cutting the last at a line end.
  // Empty when a rotation must come first.
  #takeBatch(room: number): Chunk[] {
    const batch: Chunk[] = [];
    let total = 0;
    while (this.#queue.length > 0 && batch.length < MAX_IOV && total < MAX_BATCH_BYTES) {
      const head = this.#queue[0] as Chunk;
      const left = room - total;
      if (head.data.length <= left) {
        batch.push(head);
        this.#queue.shift();
        total += head.data.length;
        continue;
      }
      let cut = left > 0 ? head.data.lastIndexOf(NL, left - 1) + 1 : 0;
      // A line longer than the room in an empty file is written whole (the file may exceed
      // max_size by less than one line).
      if (cut === 0 && total === 0 && (this.#size === 0 || Date.now() < this.#rotateAfter))
        cut = head.data.indexOf(NL) + 1 || head.data.length;
      if (cut === 0) break;
      const first = head.data.subarray(0, cut);
      const lines = countNewlines(first);
      // A marker is one line: `first`, which ends at a newline, is the whole of it.
      batch.push({ data: first, lines, reports: head.reports });
      this.#queue[0] = { data: head.data.subarray(cut), lines: head.lines - lines, reports: 0 };
      total += cut;
      break;
    }
    this.#queued -= total;
    return batch;
  }

  #afterWrite(batch: Chunk[], error: NodeJS.ErrnoException | null, written: number): void {
    const count = error === null ? written : 0;
    const rest = unwritten(batch, count);
    this.#size += count;
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
      this.#queue.unshift(...rest);
      this.#queued += rest.reduce((n, c) => n + c.data.length, 0);
    }
    this.#pump();
  }

  async #rotate(): Promise<void> {
    this.#isBusy = true;
    const { keep, compress } = this.#rotation;
    try {
      await this.#compressing;
      this.#closeFd();
      await shiftFiles(this.path, keep);
      if (compress && keep > 0) this.#compressing = this.#compress(`${this.path}.1`);
    } catch (error) {
      this.#onError(`cannot rotate ${this.path}: ${describe(error)}; writing on past max_size`);
      this.#rotateAfter = Date.now() + this.#retryMs;
    }
    try {
      this.#openSync();
    } catch (error) {
      this.#fail(error);
    }
    this.#isBusy = false;
    this.#pump();
  }

  async #compress(file: string): Promise<void> {
    try {
      await gzipFile(file);
    } catch (error) {
      this.#onError(`cannot compress ${file}: ${describe(error)}; left uncompressed`);
    }
  }

  #openSync(): void {
    this.#closeFd();
    // a+ (read too): the recovery marker checks whether the file ends mid-line.
    this.#fd = openSync(this.path, OPEN_FLAGS, 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  #closeFd(): void {
    if (this.#fd === null) return;
    try {
      closeSync(this.#fd);
    } catch {
      // EIO on close: the data is as lost as it will ever be; the failure was counted on write
    }
    this.#fd = null;
  }

  #reopenNow(): void {
    const waiters = this.#reopenWaiters;
    this.#reopenWaiters = [];
    if (this.#isUnopened) {
      // Nothing written yet: the first line opens whatever file is there then.
      for (const done of waiters) done();
      return;
    }
    try {
      this.#openSync();
    } catch (error) {
      this.#fail(error);
    }
    for (const done of waiters) done();
  }

  // Starts (or continues) a failure episode: `lost` (chunks a failed write did not write) and the
  // queue are dropped and counted, a retry scheduled. A lost marker is not a lost line of the
  // service: what it reported goes into the next marker instead, so that the markers in the file
  // add up to `droppedLines` exactly.
  #fail(error: unknown, lost: Chunk[] = []): void {
    const reason = describe(error);
    let lines = 0;
    let reported = 0;
    for (const c of [...lost, ...this.#queue]) {
      if (c.reports > 0) reported += c.reports;
      else lines += c.lines;
    }
    for (const c of this.#queue) slabs.release(c.data);
    this.#queue = [];
    this.#queued = 0;
    this.#lose(lines);
    if (this.#failure === undefined) {
      this.#failure = { reason, dropped: 0, isRetrying: false };
      this.#onError(`cannot write ${this.path}: ${reason}; dropping lines until it works again`);
    }
    this.#failure.dropped += lines + reported;
    this.#failure.isRetrying = false;
    this.#endStall();
    this.#closeFd();
    if (this.#retry === undefined && !this.#isClosed) {
      this.#retry = setTimeout(() => this.#recover(), this.#retryMs);
      this.#retry.unref();
    }
  }

  // Reopens the file and writes the marker; lines queue meanwhile and follow it if it works.
  #recover(): void {
    this.#retry = undefined;
    const failure = this.#failure;
    if (failure === undefined || this.#isClosed) return;
    try {
      this.#openSync();
    } catch (error) {
      return this.#fail(error);
    }
    const fd = this.#fd as number;
    const text = `warden: dropped ${failure.dropped} lines (${failure.reason})`;
    const marker = this.#marker(text, endsMidLine(fd, this.#size));
    failure.isRetrying = true;
    this.#isBusy = true;
    fsWrite(fd, marker, 0, marker.length, null, (error, written) => {
      this.#isBusy = false;
      // The marker is not counted as a lost line: the next one reports its N (and more).
      if (error !== null || written !== marker.length)
        return this.#fail(error ?? new Error('short write'));
      this.#size += written;
      this.#failure = undefined;
      this.#onError(`writing ${this.path} again (${text})`);
      this.#pump();
    });
  }
}

// The chunks of `batch` after its first `written` bytes.
function unwritten(batch: Chunk[], written: number): Chunk[] {
  const rest: Chunk[] = [];
  let skip = written;
  for (const c of batch) {
    if (skip >= c.data.length) {
      skip -= c.data.length;
      continue;
    }
    const data = c.data.subarray(skip);
    rest.push({ data, lines: skip === 0 ? c.lines : countNewlines(data), reports: c.reports });
    skip = 0;
  }
  return rest;
}

function countNewlines(buf: Buffer): number {
  let count = 0;
  for (let i = buf.indexOf(NL); i !== -1; i = buf.indexOf(NL, i + 1)) count++;
  return count;
}

// A failed write can leave half a line (a short write before ENOSPC); the marker starts a new one.
function endsMidLine(fd: number, size: number): boolean {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  try {
    return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== NL;
  } catch {
    return false; // opened for appending only, or EIO: a marker on the same line is still readable
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
