// What `warden top` knows: every instance's last figures frame and state event, a short history
// of its CPU and memory, and its last log line; the sort order and the selected instance.
import type { FiguresFrame, InstanceFigures, StreamEvent } from '../../ipc/protocol.js';
import { History } from './sparkline.js';

/** The sort orders: by CPU % or memory (highest first, ties in config order), or by name. */
export type SortKey = 'cpu' | 'mem' | 'name';

/** One instance as `top` shows it. */
export interface TopRow extends InstanceFigures {
  /** CPU % of one core, per frame. */
  cpu: History;
  /** Memory (bytes), per frame. */
  mem: History;
  /** Its last log line's text, when one was found. */
  lastLine: string | undefined;
}

/** The state of the view; the terminal and plain renderers read it. */
export class TopModel {
  readonly #rows = new Map<string, TopRow>();
  sort: SortKey = 'cpu';
  /** The selected instance's name (kept across re-sorts), if any. */
  selected: string | undefined;
  /** When the last frame was read (ms since the epoch). */
  time = 0;

  /** Takes a frame: the instances it lists, and nothing else (removed ones go). */
  applyFrame(frame: FiguresFrame): void {
    this.time = frame.time;
    const seen = new Set<string>();
    for (const f of frame.instances) {
      seen.add(f.name);
      const row = this.#rows.get(f.name) ?? this.#add(f);
      Object.assign(row, f);
      row.cpu.push(f.tree?.cpuPercent ?? null);
      row.mem.push(f.tree?.memoryBytes ?? null);
    }
    for (const name of this.#rows.keys()) if (!seen.has(name)) this.#rows.delete(name);
    if (this.selected === undefined || !this.#rows.has(this.selected))
      this.selected = this.rows()[0]?.name;
  }

  /** Takes a state change at once, without waiting for the next frame. */
  applyEvent(event: StreamEvent): void {
    if ('dropped' in event) return;
    const row = this.#rows.get(event.instance);
    if (row === undefined) return;
    row.state = event.to;
    row.pid = event.pid;
    if (event.from !== event.to) row.since = event.time;
    // A restart is counted by the daemon; the next frame says how many.
    if (event.pid === null) row.tree = null;
  }

  /** Sets the last log line of `instance`. */
  setLastLine(instance: string, text: string): void {
    const row = this.#rows.get(instance);
    if (row !== undefined) row.lastLine = text;
  }

  /** The services of the instances shown (for their log files). */
  services(): string[] {
    return [...new Set([...this.#rows.values()].map((r) => r.service))];
  }

  /** The rows in the current sort order (ties by config order). */
  rows(): TopRow[] {
    const rows = [...this.#rows.values()];
    if (this.sort === 'name')
      return rows.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const key = (r: TopRow): number =>
      (this.sort === 'cpu' ? r.tree?.cpuPercent : r.tree?.memoryBytes) ?? -1;
    return rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) => key(b.r) - key(a.r) || a.i - b.i)
      .map(({ r }) => r);
  }

  /** Moves the selection `delta` rows down (negative: up) in the current order, within bounds. */
  move(delta: number): void {
    const rows = this.rows();
    const at = rows.findIndex((r) => r.name === this.selected);
    const next = Math.min(rows.length - 1, Math.max(0, (at === -1 ? 0 : at) + delta));
    this.selected = rows[next]?.name;
  }

  #add(f: InstanceFigures): TopRow {
    const row: TopRow = { ...f, cpu: new History(), mem: new History(), lastLine: undefined };
    this.#rows.set(f.name, row);
    return row;
  }
}
