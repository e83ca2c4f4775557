// Reading service logs for `warden logs`: the last N lines of several files merged in time
// order, and following them as they grow (inotify through fs.watch, no polling).
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  watch,
  type BigIntStats,
  type FSWatcher,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseLogLine } from './log-file.js';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The last `n` lines of `path` (without newlines), reading backwards in 64 KiB chunks and
 * decoding UTF-8 once, so a character cut by a chunk boundary stays whole. [] when `n` is 0 or
 * the file does not exist.
 */
export function lastLines(path: string, n: number): string[] {
  if (n <= 0) return [];
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    let pos = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let newlines = 0;
    // n whole lines need n + 1 newlines: the one before the first line ends the cut line.
    while (pos > 0 && newlines <= n) {
      const size = Math.min(CHUNK, pos);
      pos -= size;
      const buf = Buffer.alloc(size);
      const chunk = buf.subarray(0, readSync(fd, buf, 0, size, pos));
      chunks.unshift(chunk);
      newlines += countNewlines(chunk);
    }
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    // The first line may be cut by the chunk boundary unless we read from the start.
    if (pos > 0) lines.shift();
    return takeLast(lines, n);
  } finally {
    closeSync(fd);
  }
}

/** The last `n` items of `items`; [] when `n` is 0 (where `slice(-0)` would give them all). */
export function takeLast<T>(items: T[], n: number): T[] {
  return items.slice(Math.max(0, items.length - n));
}

/** Merges line lists by their timestamps, keeping each list's order; lines without one stay in place. */
export function mergeByTime(lists: string[][]): string[] {
  const tagged = lists.flatMap((lines, li) =>
    lines.map((line, i) => ({ line, li, i, time: parseLogLine(line)?.time ?? 0 })),
  );
  tagged.sort((a, b) => a.time - b.time || a.li - b.li || a.i - b.i);
  return tagged.map((t) => t.line);
}

/** Options of `follow`. */
export interface FollowOptions {
  /** Also follow every file that appears later in `dir` and whose name passes `match`. */
  discover?: { dir: string; match: (name: string) => boolean };
  /** Told why a file could not be read (e.g. `EACCES`), once until it reads again. */
  onError?: (message: string) => void;
}

/** Where following one file stands. */
interface Followed {
  /** Which file was read so far (inode and birth time); undefined while there is none. */
  identity: string | undefined;
  /** Bytes of that file already read. */
  offset: number;
  decoder: StringDecoder;
  /** Text after the last newline read. */
  partial: string;
  /** The problem last reported for this file, so it is reported once. */
  problem: string | undefined;
}

/**
 * Calls `onLine` for every line appended to `paths` from now on, until the returned function is
 * called. Watches the directories of `paths` with fs.watch (inotify). A file that does not exist
 * yet is read from its start when it appears; one that is truncated, or replaced by another file
 * (another inode or birth time, as after rotation by rename), is read again from its start; one
 * that vanishes is waited for. The watch callback never throws: read errors go to `options.onError`.
 * @throws Error `cannot watch DIR: ENOENT` when a directory is missing (create it first) or
 *   cannot be watched (`EACCES`, `ENOSPC` for too many inotify watches)
 */
export function follow(
  paths: string[],
  onLine: (line: string) => void,
  options: FollowOptions = {},
): () => void {
  const { discover, onError } = options;
  const discoverDir = discover === undefined ? undefined : resolve(discover.dir);
  const files = new Map<string, Followed>();
  const report = (f: Followed, message: string): void => {
    if (f.problem === message) return;
    f.problem = message;
    onError?.(message);
  };
  const read = (path: string, f: Followed): void => {
    try {
      readNew(path, f, onLine);
      f.problem = undefined;
    } catch (error) {
      report(f, `cannot read ${path}: ${describe(error)}`);
    }
  };
  const discoverAll = (dir: string, name: string | null): void => {
    let names: string[];
    try {
      names = name === null ? readdirSync(dir) : [name];
    } catch (error) {
      onError?.(`cannot list ${dir}: ${describe(error)}`);
      return;
    }
    for (const n of names) {
      const path = join(dir, n);
      if (discover?.match(n) !== true || files.has(path)) continue;
      const f = fresh();
      files.set(path, f);
      read(path, f);
    }
  };
  const onEvent = (dir: string, name: string | null): void => {
    if (dir === discoverDir) discoverAll(dir, name);
    for (const [path, f] of files)
      if (dirname(path) === dir && (name === null || basename(path) === name)) read(path, f);
  };

  const dirs = new Set(paths.map((p) => dirname(resolve(p))));
  if (discoverDir !== undefined) dirs.add(discoverDir);
  const watchers: FSWatcher[] = [];
  const stop = (): void => watchers.forEach((w) => w.close());
  for (const dir of dirs) {
    try {
      watchers.push(watchDir(dir, onEvent, onError));
    } catch (error) {
      stop();
      throw new Error(`cannot watch ${dir}: ${describe(error)}`, { cause: error });
    }
  }
  // Events are delivered later, so the positions taken now are in place before any is handled.
  for (const p of paths) files.set(resolve(p), startAtEnd(resolve(p)));
  if (discoverDir !== undefined) discoverAll(discoverDir, null);
  return stop;
}

function watchDir(
  dir: string,
  onEvent: (dir: string, name: string | null) => void,
  onError: ((message: string) => void) | undefined,
): FSWatcher {
  const watcher = watch(dir, (_event, name) => onEvent(dir, name));
  watcher.on('error', (error) => onError?.(`stopped watching ${dir}: ${describe(error)}`));
  return watcher;
}

// Reads what `path` gained since `f`, from the start if it is another file or was truncated.
function readNew(path: string, f: Followed, onLine: (line: string) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
    f.identity = undefined; // gone (perhaps between the event and now): wait for the next one
    return;
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (!stat.isFile()) return;
    const size = Number(stat.size);
    if (identityOf(stat) !== f.identity || size < f.offset) restart(f, identityOf(stat));
    while (f.offset < size) {
      const buf = Buffer.alloc(Math.min(CHUNK, size - f.offset));
      const got = readSync(fd, buf, 0, buf.length, f.offset);
      if (got === 0) break;
      f.offset += got;
      const lines = (f.partial + f.decoder.write(buf.subarray(0, got))).split('\n');
      f.partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
  } finally {
    closeSync(fd);
  }
}

function fresh(): Followed {
  return {
    identity: undefined,
    offset: 0,
    decoder: new StringDecoder('utf8'),
    partial: '',
    problem: undefined,
  };
}

// A partial line of the previous file is dropped: its end, if ever written, is not in this one.
function restart(f: Followed, identity: string): void {
  f.identity = identity;
  f.offset = 0;
  f.partial = '';
  f.decoder = new StringDecoder('utf8');
}

function startAtEnd(path: string): Followed {
  const f = fresh();
  try {
    const fd = openSync(path, 'r');
    try {
      const stat = fstatSync(fd, { bigint: true });
      f.identity = identityOf(stat);
      f.offset = Number(stat.size);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not there yet: read from its start when it appears
  }
  return f;
}

// ext4 and tmpfs hand a deleted file's inode number to the next file at once; its birth time
// (statx, ns) tells them apart where the filesystem records one.
function identityOf(stat: BigIntStats): string {
  return `${stat.ino}/${stat.birthtimeNs}`;
}

function countNewlines(buf: Buffer): number {
  let count = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function describe(error: unknown): string {
  return errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
}
