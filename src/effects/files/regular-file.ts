// Reads a file a user names (a config, an env file, state.json, warden.pid) without ever waiting
// on another process: a FIFO, a device or a socket is refused before any read (a read of a FIFO
// with no writer never returns, and holds one of libuv's four file-I/O threads while it waits),
// and a regular file is read only up to a cap (an env_file of /dev/zero or a 20 MB config would
// otherwise take seconds and hundreds of MB).
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';

/** 1 MiB, in bytes. */
export const MIB = 1024 * 1024;

/** Why {@link readRegularFile} refused a file: it is not a regular file, or it is over the cap. */
export type UnfitReason =
  | { kind: 'not-regular'; type: string }
  /** `size` is undefined when the file grew past the cap while it was read. */
  | { kind: 'too-large'; size: number | undefined; limitBytes: number };

/**
 * A file that is not a regular file, or larger than the cap. `message` is
 * `PATH is a FIFO` or `PATH is 20971520 bytes, over the 10 MiB limit`; callers add what the
 * file was for and what to do.
 */
export class UnfitFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: UnfitReason,
  ) {
    super(`${path} ${describeUnfit(reason)}`);
    this.name = 'UnfitFileError';
  }
}

/** `is a FIFO`, `is 20971520 bytes, over the 10 MiB limit` (no path). */
export function describeUnfit(reason: UnfitReason): string {
  if (reason.kind === 'not-regular') return `is ${reason.type}, not a regular file`;
  const size = reason.size === undefined ? '' : ` ${reason.size} bytes,`;
  return `is${size} over the ${formatLimit(reason.limitBytes)} limit`;
}

function formatLimit(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

/** What a non-regular file is, in words: `a FIFO`, `a character device`... */
function typeOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'of an unknown type';
}

function check(path: string, stats: Stats, limitBytes: number): void {
  // A directory keeps the errno readFile gives it, which callers already explain.
  if (stats.isDirectory())
    throw Object.assign(new Error(`EISDIR: ${path} is a directory`), { code: 'EISDIR', path });
  if (!stats.isFile()) throw new UnfitFileError(path, { kind: 'not-regular', type: typeOf(stats) });
  if (stats.size > limitBytes)
    throw new UnfitFileError(path, { kind: 'too-large', size: stats.size, limitBytes });
}

// O_NONBLOCK: opening a FIFO never waits for a writer (the fstat then refuses it); O_NOCTTY: a
// terminal never becomes the daemon's controlling terminal.
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
const CHUNK = 64 * 1024;

/** How a file is read: `noFollow` refuses a symbolic link (lstat, O_NOFOLLOW). */
export interface ReadOptions {
  noFollow?: boolean;
}

function flagsOf(options: ReadOptions): number {
  return options.noFollow === true ? FLAGS | constants.O_NOFOLLOW : FLAGS;
}

/**
 * Reads a regular file as UTF-8, at most `limitBytes` of it. The path is stat'ed first (so a
 * device is never even opened), then opened with `O_NONBLOCK` and the opened fd fstat'ed (what
 * was opened is what is checked). Files whose size the kernel does not know (`/proc` files say
 * 0) are read up to the cap and refused past it.
 * @param path the file (symbolic links are followed unless `noFollow`).
 * @param limitBytes the most bytes the file may have.
 * @param options `noFollow`: a symbolic link at `path` is refused (ELOOP), for files in the home
 *   that another user must not be able to point elsewhere (docs/security.md).
 * @returns its text.
 * @throws UnfitFileError for anything but a regular file, or a file over `limitBytes`;
 *   a Node fs error (`code`: ENOENT, EACCES...) when it cannot be opened or read.
 */
export async function readRegularFile(
  path: string,
  limitBytes: number,
  options: ReadOptions = {},
): Promise<string> {
  check(path, await (options.noFollow === true ? lstat : stat)(path), limitBytes);
  const file = await open(path, flagsOf(options));
  try {
    const stats = await file.stat();
    check(path, stats, limitBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(stats.size - total, CHUNK), limitBytes + 1 - total);
      const { bytesRead, buffer } = await file.read(Buffer.allocUnsafe(want), 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limitBytes) throw grown(path, limitBytes);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await file.close();
  }
}

/** {@link readRegularFile}, synchronously: for small files read where no await is possible. */
export function readRegularFileSync(
  path: string,
  limitBytes: number,
  options: ReadOptions = {},
): string {
  check(path, (options.noFollow === true ? lstatSync : statSync)(path), limitBytes);
  const fd = openSync(path, flagsOf(options));
  try {
    check(path, fstatSync(fd), limitBytes);
    const buffer = Buffer.allocUnsafe(limitBytes + 1);
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limitBytes) throw grown(path, limitBytes);
    }
    return buffer.toString('utf8', 0, total);
  } finally {
    closeSync(fd);
  }
}

// A file that grew past the cap after its fstat (or whose size the kernel did not report).
function grown(path: string, limitBytes: number): UnfitFileError {
  return new UnfitFileError(path, { kind: 'too-large', size: undefined, limitBytes });
}
