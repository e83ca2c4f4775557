// Turns one stream of one instance (raw chunks from its pipe) into formatted log lines, in
// order. Works on bytes: a chunk of clean text lines is stamped and copied in one pass, with
// no string per line; only unusual lines (control bytes, invalid UTF-8, CR, over-long, JSON
// format, `warden run` echo) take the per-line path. Every output byte is written once, into a
// slab of the pool, and what a chunk gave is handed on as one region of it.
import { charBoundary, escapeBytes, isClean } from './escape.js';
import { formatTime, textPrefix, type LineFormat, type Stream } from './format.js';
import { slabs as defaultSlabs, type Slab, type SlabPool } from './slab-pool.js';

const NL = 0x0a;
/**
 * Lines handed to `onLine` per chunk: enough for the stderr tail kept for `status`, and for the
 * headline of a crash report written at once (a Node or Java stack trace) to reach its picker.
 */
export const TAIL_LINES = 64;

/** Where a capture sends its output. */
export interface CaptureOptions {
  instance: string;
  stream: Stream;
  format: LineFormat;
  /**
   * Longest line kept whole, in bytes; longer ones are cut (at a character boundary). A line is
   * never cut otherwise: a partial one waits for its newline (or the end of the stream).
   */
  maxLineBytes: number;
  /** The arrival time of a chunk (ms since the epoch). */
  now: () => number;
  /** Receives formatted lines (whole lines, newline-terminated) and how many there are. */
  write: (data: Buffer, lines: number) => void;
  /** Whether `write`'s destination has room (see StreamCapture.room); default: always. */
  room?: () => Promise<void> | undefined;
  /** Receives at least the last TAIL_LINES lines of each chunk, in order (for `status`). */
  onLine?: (line: string) => void;
  /** Receives every line, as it is read (costly: only for a `ready.log` check). */
  onEveryLine?: (line: string) => void;
  /** Receives every line (foreground `warden run`); slower. */
  echo?: (time: number, line: string) => void;
  /** Where output memory comes from; `write`'s receiver releases it there. Default: the daemon's. */
  slabs?: SlabPool;
}

/** The capture of one stream: `push` each chunk read, `end` at EOF. */
export class Capture {
  readonly #o: CaptureOptions;
  readonly #isLinewise: boolean;
  readonly #slabs: SlabPool;
  #pending: Buffer = Buffer.alloc(0);
  /** Lines in the output not handed to `write` yet: `#outStart..#slabUsed` of the slab. */
  #lines = 0;
  #outStart = 0;
  #tail: string[] = [];
  #time = 0;
  #prefixTime = -1;
  #prefix: Buffer = Buffer.alloc(0);
  #ends: number[] = [];
  #slab: Slab | undefined;
  #slabUsed = 0;

  constructor(options: CaptureOptions) {
    this.#o = options;
    this.#slabs = options.slabs ?? defaultSlabs;
    this.#isLinewise = options.format.kind === 'json' || options.echo !== undefined;
  }

  /**
   * Feeds a chunk read from the pipe. Keeps no reference to `chunk` (what it keeps is copied), so
   * the caller may read into the same memory again as soon as this returns.
   */
  push(chunk: Buffer): void {
    this.#time = this.#o.now();
    let pos = 0;
    if (this.#pending.length > 0) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        this.#keepPartial(Buffer.concat([this.#pending, chunk]));
        return this.#emit();
      }
      const line = Buffer.concat([this.#pending, chunk.subarray(0, nl)]);
      this.#pending = Buffer.alloc(0);
      this.#addLine(line, 0, line.length);
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last >= pos) this.#addRegion(chunk, pos, last + 1);
    this.#keepPartial(Buffer.from(chunk.subarray(Math.max(pos, last + 1))));
    this.#emit();
  }

  /**
   * Writes the partial line, if any: at EOF only. No timer writes it after a quiet time: a writer
   * that stalls mid-line (descheduled on a loaded machine, a pipe read while half a write was
   * in it) would have its line cut in two, the rest stamped as a line of its own.
   */
  flush(): void {
    if (this.#pending.length === 0) return;
    this.#time = this.#o.now();
    const line = this.#pending;
    this.#pending = Buffer.alloc(0);
    this.#addLine(line, 0, line.length);
    this.#emit();
  }

  /** The stream ended: writes what is left and gives the slab back. */
  end(): void {
    this.flush();
    if (this.#slab !== undefined) this.#slabs.retire(this.#slab);
    this.#slab = undefined;
  }

  /** undefined while the destination has room; else resolves once it has (see CaptureOptions). */
  room(): Promise<void> | undefined {
    return this.#o.room?.();
  }

  // Keeps the bytes after the last newline; cuts them while longer than a line may be.
  #keepPartial(rest: Buffer): void {
    let buf = rest;
    const max = this.#o.maxLineBytes;
    while (buf.length > max) {
      const cut = charBoundary(buf, max);
      this.#addLine(buf, 0, cut);
      buf = buf.subarray(cut);
    }
    this.#pending = buf.length === rest.length ? rest : Buffer.from(buf);
  }

  // Whole lines `start..end` (end just after a newline): one copy pass when nothing is unusual.
  #addRegion(buf: Buffer, start: number, end: number): void {
    const ends = this.#ends;
    ends.length = 0;
    let isPlain = !this.#isLinewise && isClean(buf, start, end);
    const max = this.#o.maxLineBytes;
    for (let s = start, nl = buf.indexOf(NL, start); nl !== -1 && nl < end;) {
      ends.push(nl);
      if (nl - s > max || (nl > s && buf[nl - 1] === 0x0d)) isPlain = false;
      s = nl + 1;
      nl = buf.indexOf(NL, s);
    }
    if (!isPlain) {
      let s = start;
      for (const nl of ends) {
        this.#addLine(buf, s, nl);
        s = nl + 1;
      }
      return;
    }
    // The lines are copied once behind the room their prefixes need, then moved into place
    // with copyWithin (a builtin without a per-line allocation, unlike Buffer#copy).
    const prefix = this.#prefixNow();
    const pl = prefix.length;
    const base = ends.length * pl;
    const out = this.#cut(base + (end - start));
    out.set(buf.subarray(start, end), base);
    let o = 0;
    let s = start;
    for (const nl of ends) {
      out.set(prefix, o);
      o += pl;
      out.copyWithin(o, base + s - start, base + nl + 1 - start);
      o += nl + 1 - s;
      s = nl + 1;
    }
    this.#lines += ends.length;
    if (this.#o.onEveryLine !== undefined) {
      let ls = start;
      for (const nl of ends) {
        this.#o.onEveryLine(buf.toString('utf8', ls, nl));
        ls = nl + 1;
      }
    }
    if (this.#o.onLine !== undefined) {
      let first = Math.max(0, ends.length - TAIL_LINES);
      let ls = first === 0 ? start : (ends[first - 1] as number) + 1;
      for (; first < ends.length; first++) {
        const nl = ends[first] as number;
        this.#tail.push(buf.toString('utf8', ls, nl));
        ls = nl + 1;
      }
    }
  }

  // One line without its newline: CR dropped, cut to the maximum, unsafe bytes escaped.
  #addLine(buf: Buffer, start: number, end: number): void {
    const e = end > start && buf[end - 1] === 0x0d ? end - 1 : end;
    let s = start;
    const max = this.#o.maxLineBytes;
    do {
      const cut = e - s > max ? s + charBoundary(buf.subarray(s, e), max) : e;
      const text = isClean(buf, s, cut) ? buf.subarray(s, cut) : escapeBytes(buf, s, cut);
      this.#addText(text);
      s = cut;
    } while (s < e);
  }

  #addText(text: Buffer): void {
    const o = this.#o;
    if (o.format.kind === 'json') {
      const json = JSON.stringify({
        time: formatTime(this.#time, o.format.time),
        instance: o.instance,
        stream: o.stream,
        text: text.toString('utf8'),
      });
      const line = `${json}\n`;
      this.#cut(Buffer.byteLength(line)).write(line);
    } else {
      const prefix = this.#prefixNow();
      const out = this.#cut(prefix.length + text.length + 1);
      out.set(prefix, 0);
      out.set(text, prefix.length);
      out[out.length - 1] = NL;
    }
    this.#lines++;
    if (o.onLine !== undefined || o.echo !== undefined || o.onEveryLine !== undefined) {
      const line = text.toString('utf8');
      if (o.onLine !== undefined) this.#tail.push(line);
      o.echo?.(this.#time, line);
      o.onEveryLine?.(line);
    }
  }

  // Room for `size` output bytes right after the output so far (in a new slab, once the output
  // so far is handed on, when the current one is full): a chunk's output stays one region.
  #cut(size: number): Buffer {
    let slab = this.#slab;
    if (slab === undefined || size > slab.buf.length - this.#slabUsed) {
      this.#emitOutput();
      if (slab !== undefined) this.#slabs.retire(slab);
      slab = this.#slab = this.#slabs.take(size);
      this.#slabUsed = 0;
      this.#outStart = 0;
    }
    const out = slab.buf.subarray(this.#slabUsed, this.#slabUsed + size);
    this.#slabUsed += size;
    slab.pending += size;
    return out;
  }

  #prefixNow(): Buffer {
    if (this.#prefixTime !== this.#time) {
      const o = this.#o;
      this.#prefix = Buffer.from(textPrefix(this.#time, o.instance, o.stream, o.format.time));
      this.#prefixTime = this.#time;
    }
    return this.#prefix;
  }

  // Hands the output so far to `write`, as one region of the slab.
  #emitOutput(): void {
    const slab = this.#slab;
    if (slab === undefined || this.#slabUsed === this.#outStart) return;
    const data = slab.buf.subarray(this.#outStart, this.#slabUsed);
    const lines = this.#lines;
    this.#outStart = this.#slabUsed;
    this.#lines = 0;
    this.#o.write(data, lines);
  }

  #emit(): void {
    this.#emitOutput();
    if (this.#tail.length > 0) {
      const tail = this.#tail.slice(-TAIL_LINES);
      this.#tail = [];
      for (const line of tail) this.#o.onLine?.(line);
    }
  }
}
