// Catching up after rotations: when the file being followed has been renamed away, the files
// rotated after it (`NAME.log.1`... newer than it) are read whole, oldest first, so a follower
// that fell behind by several rotations still shows every line.
import { closeSync, openSync, readFileSync, readSync, statSync, type BigIntStats } from 'node:fs';
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
 * Gives `onLine` every line of the rotated files of `path` that are newer than the file of
 * `identity` (`path.1`... up to where that file now is), oldest first; gzipped ones (`.N.gz`)
 * too. Nothing when that file is no longer among them (removed, or compressed: what came
 * between is then unknown). Files that vanish meanwhile are skipped.
 */
export function readRotatedAfter(
  path: string,
  identity: string,
  onLine: (line: string) => void,
): void {
  const newer: string[] = [];
  for (let k = 1; k <= MAX_ROTATED; k++) {
    const file = `${path}.${k}`;
    const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (stat !== undefined && identityOf(stat) === identity) {
      for (const f of newer.reverse()) readWhole(f, onLine);
      return;
    }
    if (stat !== undefined) newer.push(file);
    else if (statSync(`${file}.gz`, { throwIfNoEntry: false }) !== undefined)
      newer.push(`${file}.gz`);
    else return;
  }
}

// Every line of `file` (gunzipped if it ends in .gz); nothing if it cannot be read any more.
function readWhole(file: string, onLine: (line: string) => void): void {
  try {
    if (file.endsWith('.gz')) {
      const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) onLine(line);
      return;
    }
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(CHUNK);
      const decoder = new StringDecoder('utf8');
      let partial = '';
      for (let got = readSync(fd, buf); got > 0; got = readSync(fd, buf)) {
        const lines = (partial + decoder.write(buf.subarray(0, got))).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      }
      partial += decoder.end();
      if (partial !== '') onLine(partial);
    } finally {
      closeSync(fd);
    }
  } catch {
    // rotated away or removed meanwhile: its lines are gone
  }
}
