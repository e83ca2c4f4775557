// Several logs' lines merged in time order as they are read: lines of one log keep their order.
import type { LineCursor } from './file-lines.js';
import { timeAt } from './line-filter.js';

/** Receives a line: bytes `[start, end)` of `buf` (no newline), valid only during the call. */
export type Emit = (buf: Buffer, start: number, end: number) => void;

/**
 * Gives `emit` the lines of `logs` merged by time (a k-way merge of their heads; a tie goes to
 * the earlier log), after skipping the first `skip`. A line without a timestamp counts as the
 * time of the line before it in its log.
 */
export function mergeByTime(logs: LineCursor[], skip: number, emit: Emit): void {
  let left = skip;
  const out = (c: LineCursor): void => {
    if (left > 0) left--;
    else emit(c.buf, c.start, c.end);
  };
  if (logs.length === 1) {
    const log = logs[0] as LineCursor;
    while (log.next()) out(log);
    return;
  }
  const heads = logs.filter((log) => log.next()).map((log) => ({ log, time: 0 }));
  for (const h of heads) h.time = timeAt(h.log.buf, h.log.start, h.log.end) ?? 0;
  while (heads.length > 0) {
    let best = 0;
    for (let i = 1; i < heads.length; i++)
      if ((heads[i] as Head).time < (heads[best] as Head).time) best = i;
    const h = heads[best] as Head;
    out(h.log);
    if (h.log.next()) h.time = timeAt(h.log.buf, h.log.start, h.log.end) ?? h.time;
    else heads.splice(best, 1);
  }
}

interface Head {
  log: LineCursor;
  time: number;
}
