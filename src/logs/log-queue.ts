// The bounded queue of a log file: formatted lines waiting for the disk, in order, at most
// `bound` bytes, taken in batches that end at a line end; and the pause asked of the readers
// (`room`) while it is over half full, so that a burst waits in the pipe instead of being dropped.
import type { Clock } from '../core/clock.js';

/**
 * Largest single write (bytes). Measured (bench/logs.ts): 1 MiB costs less CPU than 8 MiB (the
 * kernel copies lines formatted a moment ago, still in the CPU's cache); readers pause on a full
 * queue (`room`), so a write need not take all that one turn of the event loop read.
 */
const MAX_BATCH_BYTES = 1024 * 1024;
/** Most buffers in one writev (IOV_MAX is 1024 on Linux). */
const MAX_IOV = 512;
const NL = 0x0a;

/** Whole lines queued together (the output of one chunk read, or a marker line). */
export interface Chunk {
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
  timer: unknown;
}

/** What a LogQueue is built from. */
export interface LogQueueOptions {
  /** Most bytes queued. */
  bound: number;
  /** Longest pause asked of the readers per episode of a full queue (ms). */
  maxStallMs: number;
  clock: Clock;
}

/**
 * A FIFO of chunks holding at most `bound` bytes. Over half full, `room` asks the readers to
 * pause until it is under a quarter (`settle`), for `maxStallMs` at most: then readers read on
 * (and the writer's overflow rule applies) until it drains.
 */
export class LogQueue {
  readonly #bound: number;
  readonly #maxStallMs: number;
  readonly #clock: Clock;
  #chunks: Chunk[] = [];
  #bytes = 0;
  #stall: Stall | undefined;
  /** A stall ran out of time: readers read on (and lines overflow) until the queue drains. */
  #isOverdue = false;

  constructor(options: LogQueueOptions) {
    this.#bound = options.bound;
    this.#maxStallMs = options.maxStallMs;
    this.#clock = options.clock;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when nothing is queued. */
  get isEmpty(): boolean {
    return this.#chunks.length === 0;
  }

  /** True when `bytes` more would exceed the bound. */
  isFullFor(bytes: number): boolean {
    return this.#bytes + bytes > this.#bound;
  }

  /** Adds `chunk` at the end (the bound is the caller's to check: markers may exceed it). */
  push(chunk: Chunk): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.data.length;
  }

  /** Puts `chunks` back at the front, in their order (the rest of a short write). */
  pushFront(chunks: Chunk[]): void {
    this.#chunks.unshift(...chunks);
    this.#bytes += chunks.reduce((n, c) => n + c.data.length, 0);
  }

  /**
   * Takes chunks from the front for one write of at most `room` bytes (and MAX_BATCH_BYTES,
   * MAX_IOV buffers), cutting the last at a line end. Empty when nothing fits in `room`: a
   * rotation must come first, unless `mayOverrun` (an empty file, or a rotation that failed):
   * then a line longer than `room` is taken whole.
   */
  take(room: number, mayOverrun: boolean): Chunk[] {
    const queue = this.#chunks;
    const batch: Chunk[] = [];
    let total = 0;
    while (queue.length > 0 && batch.length < MAX_IOV && total < MAX_BATCH_BYTES) {
      const head = queue[0] as Chunk;
      const left = room - total;
      if (head.data.length <= left) {
        batch.push(head);
        queue.shift();
        total += head.data.length;
        continue;
      }
      let cut = left > 0 ? head.data.lastIndexOf(NL, left - 1) + 1 : 0;
      if (cut === 0 && total === 0 && mayOverrun)
        cut = head.data.indexOf(NL) + 1 || head.data.length;
      if (cut === 0) break;
      const first = head.data.subarray(0, cut);
      const lines = countNewlines(first);
      // A marker is one line: `first`, which ends at a newline, is the whole of it.
      batch.push({ data: first, lines, reports: head.reports });
      queue[0] = { data: head.data.subarray(cut), lines: head.lines - lines, reports: 0 };
      total += cut;
      break;
    }
    this.#bytes -= total;
    return batch;
  }

  /** Empties the queue; returns what it held, in order. */
  clear(): Chunk[] {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#bytes = 0;
    return chunks;
  }

  /**
   * undefined while readers may go on; else a promise that resolves once the queue is under a
   * quarter of its bound (`settle`), `endStall` is called, or `maxStallMs` passed.
   * @param isStopped writing stopped (a failure, a closed file): lines are dropped, not queued,
   *   so no new pause is asked
   */
  room(isStopped: boolean): Promise<void> | undefined {
    if (this.#stall !== undefined) return this.#stall.room;
    const isFull = this.#bytes > this.#bound / 2;
    if (!isFull || this.#isOverdue || isStopped) return;
    let end = (): void => undefined;
    const room = new Promise<void>((resolve) => (end = resolve));
    const timer = this.#clock.after(this.#maxStallMs, () => {
      this.#isOverdue = true;
      this.endStall();
    });
    this.#stall = { room, end, timer };
    return room;
  }

  /** Ends the pause of the readers once the queue is under a quarter of its bound. */
  settle(): void {
    if (this.#bytes >= this.#bound / 4) return;
    this.#isOverdue = false;
    this.endStall();
  }

  /** Lets the paused readers go on (writing failed, the file closes). */
  endStall(): void {
    if (this.#stall === undefined) return;
    this.#clock.cancel(this.#stall.timer);
    this.#stall.end();
    this.#stall = undefined;
  }
}

/** The chunks of `batch` after its first `written` bytes. */
export function unwritten(batch: Chunk[], written: number): Chunk[] {
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
