// Reading service logs back for `warden logs`: the last N lines that pass a filter, of one log
// or several merged in time order, rotated files (gzipped or not) included. Streamed, in two
// passes, so that memory does not grow with the history: backward from the end of each log
// until its last N lines are found (never reading older files), then forward from there,
// merging the logs by timestamp and printing as it goes. A filter's kept lines found backward
// are held (up to a budget), so that a search with few matches reads the log only once.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FollowStart } from './follow.js';
import { identityOf } from './follow-rotated.js';
import { countPlain, type Counted } from './count-back.js';
import { BufferLines, FileLines, textOf, type LineCursor } from './file-lines.js';
import { KeptLines } from './kept-lines.js';
import { timeAt, type LineFilter } from './line-filter.js';
import { mergeByTime, type Emit } from './merge-lines.js';

export type { Emit } from './merge-lines.js';

/** Most rotated files looked at (`NAME.log.1` ... `.N`, gzipped or not). */
const MAX_ROTATED = 1000;
const EMPTY = Buffer.alloc(0);

/** What to read back. */
export interface HistoryOptions {
  /** How many lines in all (the last ones). */
  lines: number;
  /** Which lines count; all if undefined. */
  filter?: LineFilter;
  /** Older rotated files are not read once a file starts before this time (ms since the epoch). */
  sinceMs?: number;
  /**
   * Stop at the last whole line of each log and keep its file open for `follow`, which goes on
   * from there: no line is shown twice or missed between the two.
   */
  isFollow?: boolean;
}

/** One open file of a log; a gzipped one is decompressed whole when it is read. */
interface Part {
  fd: number;
  isGzip: boolean;
  /** Bytes of a plain file that are read. */
  end: number;
}

/** Where the last lines of one log begin. */
interface Located {
  /** Its files to read, oldest first, from the one where the lines begin. */
  parts: Part[];
  /** Every file opened. */
  opened: Part[];
  /** Where in the first part: a byte offset (plain), or how many kept lines to skip (gzip). */
  from: number;
  /** Kept lines from there to the end (at most the number asked for). */
  count: number;
  /** The current file, when open. */
  current: Part | undefined;
  /** With a filter, the kept lines themselves (unless past their budget). */
  kept: KeptLines | undefined;
}

/**
 * Gives `emit` the last `options.lines` lines of the logs at `paths` (each with `path.1`,
 * `path.1.gz`, ... as far as they exist) that pass the filter, in time order across logs
 * (lines of one log keep their order; ties go to the earlier path). Returns, with `isFollow`,
 * where each existing log's current file was left, for `follow`.
 */
export function readHistory(
  paths: string[],
  emit: Emit,
  options: HistoryOptions,
): Map<string, FollowStart> {
  const { lines: n, filter } = options;
  const logs = paths.map((p) => locate(p, options));
  try {
    const total = logs.reduce((sum, l) => sum + l.count, 0);
    const streams = logs
      .filter((l) => l.count > 0)
      .map((l) => l.kept?.cursor() ?? new LogLines(l, filter));
    mergeByTime(streams, Math.max(0, total - n), emit);
  } finally {
    for (const log of logs)
      for (const part of log.opened)
        if (!(options.isFollow === true && part === log.current)) closeSync(part.fd);
  }
  const starts = new Map<string, FollowStart>();
  logs.forEach((log, i) => {
    if (options.isFollow === true && log.current !== undefined)
      starts.set(paths[i] as string, { fd: log.current.fd, offset: log.current.end });
  });
  return starts;
}

// Finds, from the end of the log at `path` backward, where its last `n` kept lines begin.
function locate(path: string, options: HistoryOptions): Located {
  const { lines: n, filter, sinceMs } = options;
  const newestFirst: Part[] = [];
  const seen = new Set<string>();
  let count = 0;
  let current: Part | undefined;
  let from = 0;
  let oldestKept = -1;
  const kept = filter !== undefined && n > 0 ? new KeptLines() : undefined;
  for (let i = 0; i <= MAX_ROTATED; i++) {
    if (count >= n && !(i === 0 && options.isFollow === true)) break;
    const opened = openPart(i === 0 ? path : `${path}.${i}`, i === 0 && options.isFollow === true);
    if (opened === undefined) {
      if (i === 0) continue;
      break;
    }
    const { part, identity } = opened;
    // Rotated while being read: already read under its former name.
    if (seen.has(identity)) {
      closeSync(part.fd);
      continue;
    }
    seen.add(identity);
    newestFirst.push(part);
    if (i === 0) current = part;
    if (n === 0) continue;
    const found = part.isGzip
      ? countGzip(part, n - count, filter)
      : countPlain(part.fd, part.end, n - count, filter, kept);
    if (part.isGzip && found.kept > 0) kept?.letGo(); // its lines are read again from the file
    count += found.kept;
    if (found.kept > 0) {
      from = found.from;
      oldestKept = newestFirst.length - 1;
    }
    if (count >= n) break;
    if (sinceMs !== undefined && found.firstTime !== undefined && found.firstTime < sinceMs) break;
  }
  // Files older than the first kept line are not read again.
  const parts = newestFirst.slice(0, oldestKept + 1).reverse();
  return { parts, opened: newestFirst, from, count, current, kept };
}

// A gzipped file is read whole: how many lines it keeps, and how many to skip for `need`.
function countGzip(part: Part, need: number, filter: LineFilter | undefined): Counted {
  const lines = new BufferLines(readGzip(part.fd));
  let kept = 0;
  let firstTime: number | undefined;
  for (let i = 0; lines.next(); i++) {
    if (i === 0) firstTime = timeAt(lines.buf, lines.start, lines.end);
    if (filter === undefined || filter.keep(textOf(lines))) kept++;
  }
  return { kept: Math.min(kept, need), from: Math.max(0, kept - need), firstTime };
}

/** The kept lines of a located log, in order, across its files. */
class LogLines implements LineCursor {
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  readonly #log: Located;
  readonly #filter: LineFilter | undefined;
  #index = -1;
  #lines: LineCursor | undefined;

  constructor(log: Located, filter: LineFilter | undefined) {
    this.#log = log;
    this.#filter = filter;
  }

  next(): boolean {
    const filter = this.#filter;
    for (;;) {
      const lines = this.#lines ?? this.#open();
      if (lines === undefined) return false;
      if (!lines.next()) {
        this.#lines = undefined;
        continue;
      }
      if (filter !== undefined && !filter.keep(textOf(lines))) continue;
      this.buf = lines.buf;
      this.start = lines.start;
      this.end = lines.end;
      return true;
    }
  }

  // The lines of the next file; in the first, from where the last lines begin.
  #open(): LineCursor | undefined {
    const part = this.#log.parts[++this.#index];
    if (part === undefined) return undefined;
    const from = this.#index === 0 ? this.#log.from : 0;
    if (!part.isGzip)
      return (this.#lines = new FileLines(part.fd, from, part.end, this.#filter?.mayKeepAny));
    const lines = new BufferLines(readGzip(part.fd));
    for (let skip = from; skip > 0 && lines.next();)
      if (this.#filter === undefined || this.#filter.keep(textOf(lines))) skip--;
    return (this.#lines = lines);
  }
}

// Opens `path`, or if missing `path.gz`; undefined if neither exists. With `isWholeLines`, a
// last line still being written is left out (`follow` reads it whole).
function openPart(
  path: string,
  isWholeLines: boolean,
): { part: Part; identity: string } | undefined {
  let fd: number;
  let isGzip = false;
  try {
    fd = openSync(path, 'r');
  } catch {
    try {
      fd = openSync(`${path}.gz`, 'r');
      isGzip = true;
    } catch {
      return undefined;
    }
  }
  const stat = fstatSync(fd, { bigint: true });
  const size = Number(stat.size);
  const end = isWholeLines && !isGzip ? wholeLinesEnd(fd, size) : size;
  return { part: { fd, isGzip, end }, identity: identityOf(stat) };
}

// The end of the last whole line of the first `size` bytes of `fd` (0 if there is none).
function wholeLinesEnd(fd: number, size: number): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - buf.length);
    const got = readSync(fd, buf, 0, end - start, start);
    const nl = buf.subarray(0, got).lastIndexOf(0x0a);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

// The content of an open gzipped file (none for a file that is not gzip, or cut short).
function readGzip(fd: number): Buffer {
  const data = Buffer.allocUnsafe(fstatSync(fd).size);
  let got = 0;
  for (let n = -1; n !== 0 && got < data.length; got += n)
    n = readSync(fd, data, got, data.length - got, got);
  try {
    return gunzipSync(data.subarray(0, got));
  } catch {
    return EMPTY;
  }
}
