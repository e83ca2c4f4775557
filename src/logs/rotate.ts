// Size-based rotation of a log file: `NAME.log` → `NAME.log.1` → ... → `NAME.log.KEEP`, the
// oldest removed; optionally gzip-compressed in the background (`NAME.log.1.gz`).
import { constants } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { errnoOf } from '../effects/ffi/errno.js';

/** Rotation of one service's log (config `logs`). */
export interface RotationSpec {
  /** Size at which the file is rotated (bytes); null: never rotated. */
  maxBytes: number | null;
  /** Rotated files kept (`.1` ... `.keep`); 0 removes the full file. */
  keep: number;
  /** gzip each rotated file in the background (`.1.gz`). */
  compress: boolean;
}

/** The default: 10 MiB, 5 files, uncompressed. */
export const DEFAULT_ROTATION: RotationSpec = {
  maxBytes: 10 * 1024 * 1024,
  keep: 5,
  compress: false,
};

/**
 * Shifts the rotated files of `path` by one, removing the one beyond `keep`, and renames `path`
 * to `path.1` (or removes it when keep is 0). Files that do not exist are skipped.
 * @throws the first fs error other than ENOENT (EACCES, EXDEV...)
 */
export async function shiftFiles(path: string, keep: number): Promise<void> {
  if (keep === 0) return ignoreMissing(unlink(path));
  // One directory listing, then only the files that exist are touched, oldest first.
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const rotated = (await readdir(dir))
    .filter((n) => n.startsWith(prefix))
    .map((n) => ({ n, m: /^(\d+)(\.gz)?$/.exec(n.slice(prefix.length)) }))
    .filter((f) => f.m !== null)
    .map((f) => ({ index: Number(f.m?.[1]), ext: f.m?.[2] ?? '' }))
    .sort((a, b) => b.index - a.index);
  for (const { index, ext } of rotated) {
    const from = `${path}.${index}${ext}`;
    if (index >= keep) await ignoreMissing(unlink(from));
    else await ignoreMissing(rename(from, `${path}.${index + 1}${ext}`));
  }
  await ignoreMissing(rename(path, `${path}.1`));
}

// Neither file is ever reached through a symbolic link; the temp file is a new one of ours.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Compresses `file` to `file.gz` (through `file.gz.tmp`, so a reader never sees half a file),
 * then removes `file`. Neither is opened through a symbolic link (ELOOP), and a temp file left
 * over is replaced, never written into. @throws the fs or zlib error; `file` is then left as it was
 */
export async function gzipFile(file: string): Promise<void> {
  const tmp = `${file}.gz.tmp`;
  try {
    await ignoreMissing(unlink(tmp));
    const from = await open(file, READ_FLAGS);
    const to = await open(tmp, CREATE_FLAGS, 0o600).catch(async (error: unknown) => {
      await from.close();
      throw error;
    });
    // Each stream closes its handle when it ends or fails.
    await pipeline(from.createReadStream(), createGzip(), to.createWriteStream());
    await rename(tmp, `${file}.gz`);
  } catch (error) {
    await ignoreMissing(unlink(tmp));
    throw error;
  }
  await unlink(file);
}

/** The files of a log, newest first: `path`, `path.1` (or `.1.gz`), ... as far as they exist. */
export function rotatedNames(path: string, keep: number): string[] {
  const names = [path];
  for (let i = 1; i <= keep; i++) names.push(`${path}.${i}`, `${path}.${i}.gz`);
  return names;
}

async function ignoreMissing(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
}
