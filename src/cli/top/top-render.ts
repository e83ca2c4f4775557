// What `warden top` draws: a header, one row per instance (state, pid, restarts, uptime, CPU and
// memory with their sparklines, last log line) and a line of keys; fitted to the terminal's
// size. The same rows, unfitted and without escape codes, make the plain table.
import type { InstanceStatus } from '../../core/status.js';
import { formatBytes, formatPercent, formatSpan, visible } from '../commands/status.js';
import { sparkline } from './sparkline.js';
import type { SortKey, TopModel, TopRow } from './top-model.js';

const STATE_COLOUR: Record<InstanceStatus['state'], number> = {
  running: 32,
  starting: 33,
  stopping: 33,
  backoff: 33,
  failed: 31,
  exited: 2,
  stopped: 2,
};

/** The keys, as the last line shows them (docs/cli/top.md). */
export const KEYS_HELP =
  '↑↓/jk select  r restart  s stop  u start  l logs  c/m/n sort by CPU/MEM/name  q quit';

/** How the rows are laid out. */
interface Layout {
  /** Characters of each sparkline; 0 leaves them out. */
  spark: number;
  /** The top of every memory sparkline (bytes): the highest sample shown, so rows compare. */
  memoryTop?: number;
  /** A `> ` mark before the selected row (the terminal view). */
  isMarked: boolean;
  selected?: string;
  now: number;
  sort: SortKey;
}

/** The terminal view of `model`: exactly `height` lines of at most `width` columns. */
export function renderScreen(
  model: TopModel,
  view: { width: number; height: number; now: number; message?: string; isColour: boolean },
): string[] {
  const { width, height, now } = view;
  const rows = model.rows();
  const title = titleOf(model, now);
  // What the fixed columns take, at most; the sparklines get a share of the rest, the last line more.
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
  const rest = width - (2 + nameWidth + 2 + 8 + 2 + 7 + 2 + 8 + 2 + 6 + 2 + 5 + 2 + 6 + 2);
  const spark = Math.max(0, Math.min(30, Math.floor((rest - 4) / 4)));
  const layout: Layout = {
    spark: spark >= 5 ? spark : 0,
    memoryTop: Math.max(0, ...rows.flatMap((r) => r.mem.values.map((v) => v ?? 0))),
    isMarked: true,
    selected: model.selected,
    now,
    sort: model.sort,
  };
  const table = tableLines(rows, layout);
  const room = Math.max(0, height - 3);
  const at = Math.max(
    0,
    rows.findIndex((r) => r.name === model.selected),
  );
  // The selected row stays in sight: at the bottom once the list scrolls.
  const first = Math.max(0, at - room + 1);
  const shown = table.body.slice(first, first + room);
  const lines = [title, table.header, ...shown.map((r) => r.line)];
  while (lines.length < height - 1) lines.push('');
  lines.push(view.message ?? KEYS_HELP);
  return lines.slice(0, height).map((line, i) => {
    const fitted = fit(line, width);
    if (!view.isColour) return fitted;
    if (i === 0 || i === 1) return `\u001b[1m${fitted}\u001b[0m`;
    const row = i >= 2 && i < height - 1 ? shown[i - 2] : undefined;
    if (row === undefined) return fitted;
    if (row.row.name === model.selected) return `\u001b[7m${fitted}\u001b[0m`;
    return paintState(fitted, row.row, nameWidth);
  });
}

/** The plain table of `model` (no escape codes, no width limit): for a pipe or a dumb terminal. */
export function renderPlain(model: TopModel, now: number): string {
  const table = tableLines(model.rows(), { spark: 0, isMarked: false, now, sort: model.sort });
  return [titleOf(model, now), table.header, ...table.body.map((r) => r.line)].join('\n');
}

// `warden top · 4 instances, 3 running · sort: cpu · 08:30:00` (local time).
function titleOf(model: TopModel, now: number): string {
  const rows = model.rows();
  const running = rows.filter((r) => r.state === 'running').length;
  const clock = new Date(now).toTimeString().slice(0, 8);
  const count = `${rows.length} instance${rows.length === 1 ? '' : 's'}`;
  return `warden top · ${count}, ${running} running · sort: ${model.sort} · ${clock}`;
}

// The header and one line per row, columns padded to their widest cell.
function tableLines(
  rows: TopRow[],
  layout: Layout,
): { header: string; body: { row: TopRow; line: string }[] } {
  const arrow = (key: SortKey, label: string): string =>
    layout.sort === key ? `${label}↓` : label;
  const head = ['NAME', 'STATE', 'PID', 'RESTARTS', 'UPTIME', arrow('cpu', 'CPU')];
  if (layout.spark > 0) head.push('');
  head.push(arrow('mem', 'MEM'));
  if (layout.spark > 0) head.push('');
  head.push('LAST LOG LINE');
  const cells = rows.map((r) => rowCells(r, layout));
  const widths = head.map((h, i) =>
    i === head.length - 1 ? 0 : Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)),
  );
  const join = (c: string[], mark: string): string =>
    (layout.isMarked ? mark : '') +
    c
      .map((cell, i) =>
        i === 0 || i === 1 || i === c.length - 1
          ? cell.padEnd(widths[i] ?? 0)
          : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return {
    header: join(head, '  '),
    body: rows.map((row, i) => ({
      row,
      line: join(cells[i] ?? [], row.name === layout.selected ? '> ' : '  '),
    })),
  };
}

function rowCells(r: TopRow, layout: Layout): string[] {
  const isLive = r.state === 'running' || r.state === 'starting';
  const cells = [
    r.name,
    r.state,
    r.pid === null ? '-' : String(r.pid),
    String(r.restarts),
    isLive && r.startedAt !== null ? formatSpan(layout.now - r.startedAt) : '-',
    formatPercent(r.tree?.cpuPercent ?? null),
  ];
  const cpuValues = r.cpu.values;
  if (layout.spark > 0)
    cells.push(sparkline(cpuValues, layout.spark, Math.max(100, ...cpuValues.map((v) => v ?? 0))));
  cells.push(r.tree === null ? '-' : formatBytes(r.tree.memoryBytes));
  if (layout.spark > 0) cells.push(sparkline(r.mem.values, layout.spark, layout.memoryTop));
  cells.push(visible(r.lastLine ?? ''));
  return cells;
}

// Colours the state cell of a fitted row line (after the mark and the padded name).
function paintState(line: string, row: TopRow, nameWidth: number): string {
  const start = 2 + nameWidth + 2;
  const end = start + row.state.length;
  if (line.length < end) return line;
  const code = STATE_COLOUR[row.state];
  return `${line.slice(0, start)}\u001b[${code}m${line.slice(start, end)}\u001b[0m${line.slice(end)}`;
}

/** `line` cut or padded to exactly `width` code points. */
export function fit(line: string, width: number): string {
  const chars = [...line];
  if (chars.length > width) return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
  return line + ' '.repeat(width - chars.length);
}
