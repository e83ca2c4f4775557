// `warden status`: a table for people, or the stable JSON shape with --json.
import { formatExit } from '../../core/exit.js';
import type { InstanceStatus } from '../../core/status.js';
import { withClient, type GlobalOptions } from '../context.js';
import { EXIT, paint, print, type Colour } from '../output.js';

const STATE_COLOUR: Record<InstanceStatus['state'], Colour> = {
  running: 'green',
  starting: 'yellow',
  stopping: 'yellow',
  backoff: 'yellow',
  failed: 'red',
  exited: 'dim',
  stopped: 'dim',
};

// How many of a scheduled task's last runs the table shows.
const SCHEDULED_RUNS_SHOWN = 3;

/** The last exit in words, or `-`. */
export function describeExit(s: InstanceStatus): string {
  return s.lastExit === null ? '-' : formatExit(s.lastExit);
}

/** `1h2m`, `3m4s`, `5s`, `0.4s` for a span of ms. */
export function formatSpan(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/** `1.5M`, `230K`, `2.1G` for a size in bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)}K`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)}M`;
  return `${(bytes / 1024 ** 3).toFixed(1)}G`;
}

/** `0.3%`, `12%`, `150%` for a CPU share of one core, or `-` when not measured. */
export function formatPercent(percent: number | null): string {
  if (percent === null) return '-';
  return percent < 10 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

/** The longest STATUS= text shown when stdout is not a terminal (as a kept stderr line). */
const STATUS_TEXT_CHARS = 512;

/**
 * Renders the status table (what `warden status` prints).
 * @param now ms since the epoch, for uptimes and backoff delays
 * @param columns the terminal's width, which a STATUS= text is cut to; undefined off a terminal
 */
export function renderTable(instances: InstanceStatus[], now: number, columns?: number): string {
  // PIDS, CPU and MEM only when some instance has a live tree to tell them of.
  const trees = instances.some((s) => s.tree !== null);
  const header = [
    'NAME',
    'STATE',
    'PID',
    'UPTIME',
    'RESTARTS',
    ...(trees ? ['PIDS', 'CPU', 'MEM'] : []),
    'LAST EXIT',
  ];
  const rows = instances.map((s) => [
    s.name,
    stateWords(s),
    s.pid === null ? '-' : String(s.pid),
    s.startedAt !== null && (s.state === 'running' || s.state === 'starting')
      ? formatSpan(now - s.startedAt)
      : '-',
    String(s.restarts),
    ...(trees
      ? [
          String(s.tree?.pids ?? '-'),
          formatPercent(s.tree?.cpuPercent ?? null),
          s.tree === null ? '-' : formatBytes(s.tree.memoryBytes),
        ]
      : []),
    describeExit(s),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], colour?: Colour): string =>
    cells
      .map((c, i) => {
        const padded = c.padEnd(widths[i] ?? 0);
        return i === 1 && colour !== undefined ? paint(colour, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  instances.forEach((s, i) => {
    out.push(line(rows[i] ?? [], STATE_COLOUR[s.state]));
    for (const note of notes(s, now, columns)) out.push(`    ${paint('dim', note)}`);
  });
  return out.join('\n');
}

// A task that succeeded is `done`, with how long it ran (`done (1.2s)`); else the state.
function stateWords(s: InstanceStatus): string {
  if (s.kind !== 'task' || s.state !== 'exited') return s.state;
  return s.ranMs === null ? 'done' : `done (${formatSpan(s.ranMs)})`;
}

// Lines under an instance: what it says of itself (STATUS=), or, when it is not fine, why, when
// it retries, and the telling lines of its last run's stderr.
function notes(s: InstanceStatus, now: number, columns: number | undefined): string[] {
  const lines: string[] = [];
  if (s.statusText !== null) {
    const room = columns === undefined ? STATUS_TEXT_CHARS : Math.max(columns - 12, 10);
    lines.push(`status: ${cut(visible(s.statusText), room)}`);
  }
  if (s.state === 'backoff' && s.nextRestartAt !== null) {
    lines.push(`restart #${s.attempt ?? '?'} in ${formatSpan(s.nextRestartAt - now)}`);
  }
  if (s.state === 'failed' && s.reason !== null) lines.push(s.reason);
  if (s.waiting !== null && s.state !== 'running') lines.push(`not ready: ${s.waiting}`);
  const health = s.health;
  if (health?.state === 'failing') {
    lines.push(
      `health: failing (${health.failures}/${health.threshold}): ${health.lastError ?? '?'}`,
    );
  }
  if (s.watch?.notApplied != null) lines.push(`change not applied: ${s.watch.notApplied}`);
  if (s.schedule !== null) lines.push(...scheduleNotes(s.schedule, now));
  if (health?.lastRestart != null) {
    const ago = formatSpan(now - health.lastRestart.at);
    lines.push(`restarted: ${health.lastRestart.reason} (${ago} ago)`);
  }
  // A stopped instance says why, unless it is the plain case.
  const plain = s.reason === null || s.reason === 'never started' || s.reason === 'stopped by user';
  if (s.state === 'stopped' && !plain) lines.push(s.reason ?? '');
  for (const l of s.stderrSummary) lines.push(`stderr: ${l}`);
  return lines;
}

// A scheduled task: when it runs next, and its last runs (newest first): how long ago, how long, how it ended.
function scheduleNotes(schedule: NonNullable<InstanceStatus['schedule']>, now: number): string[] {
  const next = schedule.nextRunAt === null ? 'none' : `in ${formatSpan(schedule.nextRunAt - now)}`;
  const runs = schedule.lastRuns.slice(-SCHEDULED_RUNS_SHOWN).reverse();
  return [
    `next run: ${next}${schedule.skipped > 0 ? ` (${schedule.skipped} skipped)` : ''}`,
    ...runs.map((r) => {
      const ran = r.durationMs === null ? '?' : formatSpan(r.durationMs);
      const exit = r.exit === null ? '?' : formatExit(r.exit);
      return `last run: ${formatSpan(now - r.startedAt)} ago, ran ${ran}, ${exit}`;
    }),
  ];
}

/** A service's own text, made safe for a terminal: C0 and C1 controls and DEL become `\xNN`. */
export function visible(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const isControl = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    out += isControl ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

// Cuts `text` to `max` characters (code points), the last being `…`.
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** `warden status [SERVICE...] [--json]` */
export async function status(
  services: string[],
  options: GlobalOptions & { json?: boolean },
): Promise<number> {
  const report = await withClient(options, (c) => c.call('status', { targets: services }));
  if (options.json === true) {
    print(JSON.stringify(report));
    return EXIT.ok;
  }
  const columns = process.stdout.isTTY === true ? process.stdout.columns : undefined;
  print(renderTable(report.instances, Date.now(), columns));
  return EXIT.ok;
}
