// Following service logs for `warden logs -f`: lines appended to files, across rotations,
// truncations and files that appear later (inotify through fs.watch, no polling).
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  watch,
  type FSWatcher,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { errnoOf } from '../effects/ffi/errno.js';
import { identityOf, readRotatedAfter } from './follow-rotated.js';

/** Most bytes read at a time from a followed file (one buffer, reused). */
const CHUNK = 256 * 1024;
const buffer = Buffer.alloc(CHUNK);
/**
 * Most bytes read from one file per event: past it, the rest is read on the next turn of the
 * event loop, so that a file that grows faster than it is read leaves room for SIGINT.
 */
const BUDGET = 8 * 1024 * 1024;

/** Where to start reading a file already open (the end of what `warden logs` printed). */
export interface FollowStart {
  /** The open file; `follow` owns it from now on and closes it when stopped. */
  fd: number;
  /** Bytes of it already shown. */
  offset: number;
}

/** Options of `follow`. */
export interface FollowOptions {
  /** Also follow every file that appears later in `dir` and whose name passes `match`. */
  discover?: { dir: string; match: (name: string) => boolean };
  /** Told why a file could not be read (e.g. `EACCES`), once until it reads again. */
  onError?: (message: string) => void;
  /** Files of `paths` (resolved) already open, and where to go on from; others start at their end. */
  from?: Map<string, FollowStart>;
  /** Called after each batch of reads has given its lines to `onLine` (to flush output). */
  onBatch?: () => void;
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
  /** The file being read, held open across a rotation; undefined before it first exists. */
  fd: number | undefined;
  /** A read is scheduled for the next turn of the event loop (the budget ran out). */
  isQueued: boolean;
}

/**
 * Calls `onLine` for every line appended to `paths` from now on, in order, until the returned
 * function is called. Watches the directories of `paths` with fs.watch (inotify). Every byte
 * appended is read, however fast: the file being read stays open, so when another file takes
 * its name (rotation by rename) it is read to its end, then the files rotated after it
 * (`path.1`... newer than it), then the new file from its start. A file that does not exist
 * yet is read from its start when it appears; one that is truncated is read again from its
 * start; one that vanishes is waited for. The watch callback never throws: read errors go to
 * `options.onError`.
 * @throws Error `cannot watch DIR: ENOENT` when a directory is missing (create it first) or
 *   cannot be watched (`EACCES`, `ENOSPC` for too many inotify watches)
 */
export function follow(
  paths: string[],
  onLine: (line: string) => void,
  options: FollowOptions = {},
): () => void {
  const { discover, onError, from } = options;
  const discoverDir = discover === undefined ? undefined : resolve(discover.dir);
  const files = new Map<string, Followed>();
  let isStopped = false;
  const report = (f: Followed, message: string): void => {
    if (f.problem === message) return;
    f.problem = message;
    onError?.(message);
  };
  const read = (path: string, f: Followed): void => {
    try {
      if (readNew(path, f, onLine) && !f.isQueued) {
        // The budget ran out: go on after other events (and signals) had their turn.
        f.isQueued = true;
        setImmediate(() => {
          f.isQueued = false;
          if (!isStopped) read(path, f);
          options.onBatch?.();
        });
      }
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
    options.onBatch?.();
  };

  const dirs = new Set(paths.map((p) => dirname(resolve(p))));
  if (discoverDir !== undefined) dirs.add(discoverDir);
  const watchers: FSWatcher[] = [];
  const stop = (): void => {
    isStopped = true;
    watchers.forEach((w) => w.close());
    for (const f of files.values()) if (f.fd !== undefined) closeSync(f.fd);
    files.clear();
  };
  for (const p of paths) files.set(resolve(p), startAt(resolve(p), from?.get(resolve(p))));
  for (const dir of dirs) {
    try {
      watchers.push(watchDir(dir, onEvent, onError));
    } catch (error) {
      stop();
      throw new Error(`cannot watch ${dir}: ${describe(error)}`, { cause: error });
    }
  }
  // What was appended before the watches began (since the positions were taken) is read now.
  for (const [path, f] of files) read(path, f);
  if (discoverDir !== undefined) discoverAll(discoverDir, null);
  options.onBatch?.();
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

// Reads what `path` gained since `f`; true when the budget ran out before the end. The file
// read so far stays open: once another file has taken its name, it is complete (the writer
// closes it before renaming it), so it is read to its end, then the files rotated after it,
// then the new file from its start.
function readNew(path: string, f: Followed, onLine: (line: string) => void): boolean {
  if (f.fd !== undefined && !drain(f, onLine)) return true;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
    return false; // gone (rotated, not yet recreated): wait for the next event
  }
  const stat = fstatSync(fd, { bigint: true });
  const identity = identityOf(stat);
  if (!stat.isFile() || (identity === f.identity && f.fd !== undefined)) {
    closeSync(fd);
    return false;
  }
  if (f.fd !== undefined && f.identity !== undefined) {
    if (!drain(f, onLine)) {
      closeSync(fd);
      return true;
    }
    const rest = f.partial + f.decoder.end();
    if (rest !== '') onLine(rest);
    readRotatedAfter(path, f.identity, identity, onLine);
    closeSync(f.fd);
  }
  restart(f, identity);
  f.fd = fd;
  return !drain(f, onLine);
}

// Reads the open file of `f` from its offset on (from its start if it was truncated), until
// its end or the budget; true when it reached the end.
function drain(f: Followed, onLine: (line: string) => void): boolean {
  const fd = f.fd;
  if (fd === undefined) return true;
  if (fstatSync(fd).size < f.offset) restart(f, f.identity ?? '');
  for (let budget = BUDGET; budget > 0;) {
    const got = readSync(fd, buffer, 0, CHUNK, f.offset);
    if (got === 0) return true;
    f.offset += got;
    budget -= got;
    const lines = (f.partial + f.decoder.write(buffer.subarray(0, got))).split('\n');
    f.partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  }
  return false;
}

function fresh(): Followed {
  return {
    identity: undefined,
    offset: 0,
    decoder: new StringDecoder('utf8'),
    partial: '',
    problem: undefined,
    fd: undefined,
    isQueued: false,
  };
}

// A partial line of a truncated file is dropped: its end, if ever written, is not there.
function restart(f: Followed, identity: string): void {
  f.identity = identity;
  f.offset = 0;
  f.partial = '';
  f.decoder = new StringDecoder('utf8');
}

// Holds `path` open from now on (or the file given), at `from`'s offset or at its end.
function startAt(path: string, from: FollowStart | undefined): Followed {
  const f = fresh();
  let fd = from?.fd;
  if (fd === undefined) {
    try {
      fd = openSync(path, 'r');
    } catch {
      return f; // not there yet: read from its start when it appears
    }
  }
  const stat = fstatSync(fd, { bigint: true });
  f.fd = fd;
  f.identity = identityOf(stat);
  f.offset = from?.offset ?? Number(stat.size);
  return f;
}

function describe(error: unknown): string {
  return errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
}
