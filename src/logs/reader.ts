// Reading service logs for `warden logs`: the last N lines of several files merged in time
// order, and following them as they grow (inotify through fs.watch, no polling).
import { closeSync, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseLogLine } from './log-file.js';

const CHUNK = 64 * 1024;

/** The last `n` lines of `path` (without newlines), reading backwards; [] if it does not exist. */
export function lastLines(path: string, n: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    let pos = fstatSync(fd).size;
    let text = '';
    while (pos > 0 && text.split('\n').length <= n + 1) {
      const size = Math.min(CHUNK, pos);
      pos -= size;
      const buf = Buffer.alloc(size);
      readSync(fd, buf, 0, size, pos);
      text = buf.toString('utf8') + text;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    // The first line may be cut by the chunk boundary unless we read from the start.
    if (pos > 0) lines.shift();
    return lines.slice(-n);
  } finally {
    closeSync(fd);
  }
}

/** Merges line lists by their timestamps, keeping each list's order; lines without one stay in place. */
export function mergeByTime(lists: string[][]): string[] {
  const tagged = lists.flatMap((lines, li) =>
    lines.map((line, i) => ({ line, li, i, time: parseLogLine(line)?.time ?? 0 })),
  );
  tagged.sort((a, b) => a.time - b.time || a.li - b.li || a.i - b.i);
  return tagged.map((t) => t.line);
}

/**
 * Calls `onLine` for every line appended to `paths` from now on, until the returned function is
 * called. A file that is truncated or replaced is read again from its start.
 */
export function follow(paths: string[], onLine: (line: string) => void): () => void {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  for (const p of paths) offsets.set(p, sizeOf(p));
  const readNew = (path: string): void => {
    const size = sizeOf(path);
    let offset = offsets.get(path) ?? 0;
    if (size < offset) offset = 0;
    if (size === offset) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const got = readSync(fd, buf, 0, buf.length, offset);
      offsets.set(path, offset + got);
      const text = (partial.get(path) ?? '') + buf.subarray(0, got).toString('utf8');
      const lines = text.split('\n');
      partial.set(path, lines.pop() ?? '');
      for (const line of lines) onLine(line);
    } finally {
      closeSync(fd);
    }
  };
  const watchers: FSWatcher[] = [...new Set(paths.map((p) => dirname(p)))].map((dir) =>
    watch(dir, (_event, file) => {
      for (const p of paths) if (file === null || basename(p) === file) readNew(p);
    }),
  );
  return () => watchers.forEach((w) => w.close());
}

function sizeOf(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}
