// The backward pass of reading logs back: where the last N kept lines of a plain file begin.
// Without a filter, lines are only counted, never decoded. With one, a region the filter rules
// out is skipped whole, and a region it may keep is tested again in blocks of a few KB, so
// that only the blocks holding a match are split into lines (a search reads at disk speed).
import { readBackward } from './file-lines.js';
import type { KeptLines } from './kept-lines.js';
import { timeAt, type LineFilter } from './line-filter.js';

const NL = 0x0a;
/** Bytes of whole lines tested at once inside a region that may hold a match. */
const BLOCK = 8 * 1024;

/** Lines kept in a part (up to `need`), where the first of them begins, its first line's time. */
export interface Counted {
  kept: number;
  from: number;
  firstTime: number | undefined;
}

/**
 * Backward from byte `end` of the plain file `fd`: the last `need` kept lines, given to `kept`
 * newest first (when it is given). `from` is the byte offset of the earliest of them.
 */
export function countPlain(
  fd: number,
  end: number,
  need: number,
  filter?: LineFilter,
  kept?: KeptLines,
): Counted {
  const counted: Counted = { kept: 0, from: 0, firstTime: undefined };
  readBackward(fd, end, (data, start) => {
    if (start === 0) {
      const nl = data.indexOf(NL);
      counted.firstTime = timeAt(data, 0, nl === -1 ? data.length : nl);
    }
    if (filter === undefined) return countLines(data, start, need, counted);
    if (!filter.mayKeepAny(data)) return true;
    for (let be = data.length; be > 0;) {
      const bs = be <= BLOCK ? 0 : data.lastIndexOf(NL, be - BLOCK) + 1;
      const block = data.subarray(bs, be);
      const isDone =
        filter.mayKeepAny(block) && !keepBackward(block, start + bs, need, filter, kept, counted);
      if (isDone) return false;
      be = bs;
    }
    return true;
  });
  return counted;
}

// The kept lines of `data` (whole lines at byte `start`) from its end; false once `need` are.
function keepBackward(
  data: Buffer,
  start: number,
  need: number,
  filter: LineFilter,
  kept: KeptLines | undefined,
  counted: Counted,
): boolean {
  const text = data.toString('utf8');
  let e = text.endsWith('\n') ? text.length - 1 : text.length;
  let first = -1;
  for (;;) {
    const s = e === 0 ? 0 : text.lastIndexOf('\n', e - 1) + 1;
    const line = text.slice(s, e);
    if (filter.keep(line)) {
      kept?.add(line);
      first = s;
      if (++counted.kept === need) break;
    }
    if (s === 0) break;
    e = s - 1;
  }
  // Where the earliest kept line so far begins (in bytes, counted once per block).
  if (first !== -1) counted.from = start + Buffer.byteLength(text.slice(0, first));
  return counted.kept < need;
}

// Counts the lines of `data` from its end; false once `need` are counted (`from` set then).
function countLines(data: Buffer, start: number, need: number, counted: Counted): boolean {
  let e = data[data.length - 1] === NL ? data.length - 1 : data.length;
  for (;;) {
    const s = e === 0 ? 0 : data.lastIndexOf(NL, e - 1) + 1;
    if (++counted.kept === need) {
      counted.from = start + s;
      return false;
    }
    if (s === 0) return true;
    e = s - 1;
  }
}
