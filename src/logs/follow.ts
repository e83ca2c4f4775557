// Following service logs for `warden logs -f`: lines appended to files, across rotations,
// truncations and files that appear later (inotify through fs.watch, no polling).
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
import { errnoOf } from '../effects/ffi/errno.js';

/** Most bytes read at a time from a followed file. */
const CHUNK = 64 * 1024;

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
  /** The file being read, held open across a rotation; undefined before it first exists. */
  fd: number | undefined;
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
  const stop = (): void => {
    watchers.forEach((w) => w.close());
    for (const f of files.values()) if (f.fd !== undefined) closeSync(f.fd);
    files.clear();
  };
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

// Reads what `path` gained since `f`. The file read so far stays open, so after a rotation by
// rename its last lines are read to its end before the new file is read from its start.
function readNew(path: string, f: Followed, onLine: (line: string) => void): void {
  if (f.fd !== undefined) drain(f, onLine);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
    return; // gone (rotated, not yet recreated): wait for the next event
  }
  const stat = fstatSync(fd, { bigint: true });
  const identity = identityOf(stat);
  if (!stat.isFile() || (identity === f.identity && f.fd !== undefined)) {
    closeSync(fd);
    return;
  }
  if (f.fd !== undefined) closeSync(f.fd);
  // The file seen when following began is read from where it ended then; any other from its start.
  if (identity !== f.identity) restart(f, identity);
  f.fd = fd;
  drain(f, onLine);
}

// Reads the open file of `f` from its offset to its end (from its start if it was truncated).
function drain(f: Followed, onLine: (line: string) => void): void {
  const fd = f.fd;
  if (fd === undefined) return;
  const size = fstatSync(fd).size;
  if (size < f.offset) restart(f, f.identity ?? '');
  while (f.offset < size) {
    const buf = Buffer.alloc(Math.min(CHUNK, size - f.offset));
    const got = readSync(fd, buf, 0, buf.length, f.offset);
    if (got === 0) break;
    f.offset += got;
    const lines = (f.partial + f.decoder.write(buf.subarray(0, got))).split('\n');
    f.partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  }
}

function fresh(): Followed {
  return {
    identity: undefined,
    offset: 0,
    decoder: new StringDecoder('utf8'),
    partial: '',
    problem: undefined,
    fd: undefined,
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

function describe(error: unknown): string {
  return errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
}
