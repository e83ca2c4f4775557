// Whole lines of a log file, read in large chunks into one reused buffer: backward from an end
// (to find where the last N lines begin without reading the rest) and forward between two
// offsets. Lines are handed on as byte ranges, so that lines printed as stored are never
// decoded; a region starts and ends at line boundaries, so decoding one never cuts a character.
import { readSync } from 'node:fs';

/** Bytes read at a time. */
const CHUNK = 256 * 1024;
const NL = 0x0a;

/**
 * Calls `onRegion(data, start)` with whole lines of bytes `[0, end)` of `fd`, last region first:
 * `data` holds bytes `[start, previous start)` (its lines in file order, each ending with a
 * newline but a last line without one at `end`), valid only during the call. Stops when
 * `onRegion` returns false.
 */
export function readBackward(
  fd: number,
  end: number,
  onRegion: (data: Buffer, start: number) => boolean,
): void {
  let work = Buffer.allocUnsafe(CHUNK * 2);
  let pos = end;
  /** Bytes after the chunk being read that are not handed on yet (a line cut by its start). */
  let carry = Buffer.alloc(0);
  while (pos > 0) {
    const size = Math.min(CHUNK, pos);
    pos -= size;
    if (work.length < size + carry.length) work = Buffer.allocUnsafe(2 * (size + carry.length));
    const got = readAt(fd, work, size, pos).length;
    carry.copy(work, got);
    const data = work.subarray(0, got + carry.length);
    // The bytes before the first newline may belong to a line that began in an earlier chunk.
    const cut = pos === 0 ? 0 : data.indexOf(NL) + 1;
    if (cut === 0 && pos > 0) {
      carry = Buffer.from(data);
      continue;
    }
    if (cut < data.length && !onRegion(data.subarray(cut), pos + cut)) return;
    carry = Buffer.from(data.subarray(0, cut));
  }
}

/** A line at a time, as a byte range of `buf` (valid until the next call of `next`). */
export interface LineCursor {
  buf: Buffer;
  start: number;
  end: number;
  /** Moves to the next line; false after the last. */
  next(): boolean;
}

/** The lines of bytes `[from, end)` of an open file, in order. */
export class FileLines implements LineCursor {
  buf: Buffer = Buffer.allocUnsafe(CHUNK);
  start = 0;
  end = 0;
  readonly #fd: number;
  readonly #stop: number;
  #pos: number;
  /** Bytes `[0, #filled)` of buf are read; lines are taken from `#at`. */
  #filled = 0;
  #at = 0;

  readonly #mayKeep: ((region: Buffer) => boolean) | undefined;

  /**
   * `from` is a line start; a last line without newline at `end` is a line too. Whole lines
   * read at once are skipped when `mayKeep` (given their bytes) says none of them is wanted.
   */
  constructor(fd: number, from: number, end: number, mayKeep?: (region: Buffer) => boolean) {
    this.#fd = fd;
    this.#pos = from;
    this.#stop = end;
    this.#mayKeep = mayKeep;
  }

  next(): boolean {
    for (;;) {
      const nl = this.buf.indexOf(NL, this.#at);
      if (nl !== -1 && nl < this.#filled) {
        this.start = this.#at;
        this.end = nl;
        this.#at = nl + 1;
        return true;
      }
      if (this.#pos >= this.#stop) {
        if (this.#at >= this.#filled) return false;
        this.start = this.#at;
        this.end = this.#filled;
        this.#at = this.#filled;
        return true;
      }
      this.#refill();
    }
  }

  // Moves the unread rest to the front (growing the buffer for a very long line), then reads.
  #refill(): void {
    const rest = this.#filled - this.#at;
    if (rest === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, this.#at, this.#filled);
      this.buf = bigger;
    } else {
      this.buf.copy(this.buf, 0, this.#at, this.#filled);
    }
    const size = Math.min(this.buf.length - rest, this.#stop - this.#pos);
    const got = readAt(this.#fd, this.buf.subarray(rest), size, this.#pos).length;
    this.#pos = got < size ? this.#stop : this.#pos + got;
    this.#filled = rest + got;
    this.#at = 0;
    const whole = this.buf.lastIndexOf(NL, this.#filled - 1) + 1;
    if (this.#mayKeep !== undefined && whole > 0 && !this.#mayKeep(this.buf.subarray(0, whole)))
      this.#at = whole;
  }
}

/** The lines of a whole buffer (a gunzipped file); no line after a last newline. */
export class BufferLines implements LineCursor {
  readonly buf: Buffer;
  start = 0;
  end = 0;
  #at = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  next(): boolean {
    if (this.#at >= this.buf.length) return false;
    const nl = this.buf.indexOf(NL, this.#at);
    this.start = this.#at;
    this.end = nl === -1 ? this.buf.length : nl;
    this.#at = this.end + 1;
    return true;
  }
}

/** The text of the line under `cursor`. */
export function textOf(cursor: LineCursor): string {
  return cursor.buf.toString('utf8', cursor.start, cursor.end);
}

// Reads up to `size` bytes at `pos` into `buf`; fewer only at the end of the file (truncated
// meanwhile). Returns the bytes read.
function readAt(fd: number, buf: Buffer, size: number, pos: number): Buffer {
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
