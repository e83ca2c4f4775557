// Reading service logs back for `warden logs`: the last N lines of a log, its rotated files
// included (gzipped or not), and several logs merged in time order.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseLogLine } from './format.js';

/** Bytes read at a time, backwards from the end of a file. */
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

/** Most rotated files looked at (`NAME.log.1` ... `.N`, gzipped or not). */
const MAX_ROTATED = 1000;

/**
 * The last `n` lines of a log that pass `keep`, reading `path`, then its rotated files
 * `path.1` (or `path.1.gz`), `path.2`... as far as needed and as they exist. With `sinceMs`,
 * older files are not read once a file starts before that time.
 */
export function historyLines(
  path: string,
  n: number,
  keep?: (line: string) => boolean,
  sinceMs?: number,
): string[] {
  if (n <= 0) return [];
  if (keep === undefined) {
    const current = lastLines(path, n);
    if (current.length >= n) return current;
  }
  let collected: string[] = [];
  for (let i = 0; i <= MAX_ROTATED && collected.length < n; i++) {
    const lines = readLogFile(i === 0 ? path : `${path}.${i}`);
    if (lines === undefined) {
      if (i === 0) continue;
      break;
    }
    collected = [...(keep === undefined ? lines : lines.filter(keep)), ...collected];
    const first = parseLogLine(lines[0] ?? '');
    if (sinceMs !== undefined && first !== undefined && first.time < sinceMs) break;
  }
  return takeLast(collected, n);
}

// Every line of one log file, gunzipping `file.gz` when `file` is absent; undefined if neither exists.
function readLogFile(file: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    try {
      text = gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
    } catch {
      return undefined;
    }
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
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

function countNewlines(buf: Buffer): number {
  let count = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) count++;
  return count;
}
