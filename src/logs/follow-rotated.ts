// Catching up after rotations: when the file being followed has been renamed away, the files
// rotated after it (`NAME.log.1`... newer than it) are read whole, oldest first, so a follower
// that fell behind by several rotations still shows every line.
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  type BigIntStats,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { gunzipSync } from 'node:zlib';

/** Most rotated files looked at. */
const MAX_ROTATED = 1000;
const CHUNK = 256 * 1024;

/**
 * Which file a stat describes: inode and birth time. ext4 and tmpfs hand a deleted file's inode
 * number to the next file at once; its birth time (statx, ns) tells them apart where the
 * filesystem records one.
 */
export function identityOf(stat: BigIntStats): string {
  return `${stat.ino}/${stat.birthtimeNs}`;
}

/**
 * Gives `onLine` every line of the rotated files of `path` that came after the file `held` and
 * before the file `next` (`path.1`... between where each now is), oldest first; gzipped ones
 * (`.N.gz`) too. Nothing when `held` is no longer among them (removed, or compressed: what
 * came between is then unknown). Each file is opened as it is found, so that a rotation while
 * this reads does not change what is read: files only move to higher numbers, so a scan
 * upward meets each at least once (the same file met twice is read once). A number missing
 * is skipped, not taken for the end: a rotation renames from the highest number down, so
 * mid-way one number is empty for a moment (`.1` already `.2`, the file not yet `.1`).
 */
export function readRotatedAfter(
  path: string,
  held: string,
  next: string,
  onLine: (line: string) => void,
): void {
  const found: { fd: number; isGzip: boolean; identity: string }[] = [];
  let highest = highestRotated(path);
  try {
    for (let k = 1; k <= MAX_ROTATED; k++) {
      const file = openRotated(`${path}.${k}`);
      if (file === undefined) {
        // Past the highest number listed, this is the end, unless a rotation moved it up since.
        if (k > highest && k > (highest = highestRotated(path))) return;
        continue;
      }
      if (found.some((f) => f.identity === file.identity)) {
        closeSync(file.fd);
        continue;
      }
      found.push(file);
      if (file.identity !== held) continue;
      // Newest first: what came after `held` and before `next`.
      const after = found.findIndex((f) => f.identity === next) + 1;
      for (const f of found.slice(after, -1).reverse()) readWhole(f.fd, f.isGzip, onLine);
      return;
    }
  } finally {
    for (const f of found) closeSync(f.fd);
  }
}

// The highest N of the files `path.N` and `path.N.gz` there are; 0 when there are none.
function highestRotated(path: string): number {
  const prefix = `${basename(path)}.`;
  let highest = 0;
  try {
    for (const name of readdirSync(dirname(path))) {
      if (!name.startsWith(prefix)) continue;
      const n = /^(\d+)(\.gz)?$/.exec(name.slice(prefix.length))?.[1];
      if (n !== undefined) highest = Math.max(highest, Number(n));
    }
  } catch {
    // the directory cannot be listed: what can be opened is all there is
  }
  return Math.min(highest, MAX_ROTATED);
}

// Opens `file`, or else `file.gz`; undefined if neither exists.
function openRotated(file: string): { fd: number; isGzip: boolean; identity: string } | undefined {
  for (const isGzip of [false, true]) {
    try {
      const fd = openSync(isGzip ? `${file}.gz` : file, 'r');
      return { fd, isGzip, identity: identityOf(fstatSync(fd, { bigint: true })) };
    } catch {
      // not there (yet, or any more)
    }
  }
  return undefined;
}

// Every line of an open file (gunzipped if `isGzip`); nothing if it cannot be read.
function readWhole(fd: number, isGzip: boolean, onLine: (line: string) => void): void {
  try {
    if (isGzip) {
      const lines = gunzipSync(readFileSync(fd)).toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) onLine(line);
      return;
    }
    const buf = Buffer.alloc(CHUNK);
    const decoder = new StringDecoder('utf8');
    let partial = '';
    for (
      let pos = 0, got = readSync(fd, buf, 0, CHUNK, 0);
      got > 0;
      got = readSync(fd, buf, 0, CHUNK, pos)
    ) {
      pos += got;
      const lines = (partial + decoder.write(buf.subarray(0, got))).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
    partial += decoder.end();
    if (partial !== '') onLine(partial);
  } catch {
    // not gzip after all, or EIO: its lines cannot be shown
  }
}
