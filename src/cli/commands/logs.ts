// `warden logs [SERVICE...] [-n N] [-f] [--since D] [--grep RE] [--stderr]`: reads the log files
// in WARDEN_HOME directly (rotated ones too), so it works whether or not the daemon runs.
// `--reopen` asks the daemon to reopen its files after an external logrotate.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from '../../config/duration.js';
import { follow } from '../../logs/follow.js';
import { readHistory } from '../../logs/history.js';
import { lineFilter, type LogQuery } from '../../logs/line-filter.js';
import { CliError, homeOf, withClient, type GlobalOptions } from '../context.js';
import { EXIT, print, printError } from '../output.js';
import { logsOutput } from './logs-output.js';
import { errnoOf } from '../../effects/ffi/errno.js';

/** Options of `logs`. */
export interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
  since?: string;
  grep?: string;
  stderr?: boolean;
  reopen?: boolean;
}

/**
 * `warden logs`: the last N lines (default 50) of the chosen services, rotated files included,
 * merged in time order. `-f` then prints new lines until SIGINT/SIGTERM, across rotations,
 * creating the log directory (mode 0700) if missing and picking up files that appear later
 * (without SERVICE: every new `*.log`).
 */
export async function logs(targets: string[], options: LogsOptions): Promise<number> {
  if (options.reopen === true) return reopen(options);
  const dir = homeOf(options).logDir;
  const n = Number(options.lines ?? '50');
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`-n takes a whole number, not "${options.lines}"`, EXIT.usage);
  const query = queryOf(targets, options);
  const filter = lineFilter(query);
  const services =
    targets.length > 0 ? targets.map((t) => t.split(':')[0] ?? t) : existingServices(dir);
  const paths = [...new Set(services)].map((s) => resolve(join(dir, `${s}.log`)));
  const isFollow = options.follow === true;
  for (const p of paths)
    if (!existsSync(p))
      printError(isFollow ? `no log yet at ${p}; waiting for it` : `no log yet at ${p}`);
  const out = logsOutput();
  const starts = readHistory(paths, out.bytes, {
    lines: n,
    filter,
    sinceMs: query.sinceMs,
    isFollow,
  });
  out.flush();
  if (!isFollow) return EXIT.ok;
  createLogDir(dir);
  const stop = follow(
    paths,
    (line) => {
      if (filter === undefined || filter.keep(line)) out.text(line);
    },
    {
      // Without SERVICE, services that write their first line later are shown too.
      discover: targets.length === 0 ? { dir, match: (name) => name.endsWith('.log') } : undefined,
      onError: printError,
      from: starts,
      onBatch: out.flush,
    },
  );
  // The watchers keep Node alive, but should one close, an unsettled await would exit 13.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  stop();
  return EXIT.ok;
}

// `--reopen`: the daemon closes and reopens every log file (after an external logrotate).
async function reopen(options: LogsOptions): Promise<number> {
  const r = await withClient(options, (c) => c.call('logs-reopen', {}));
  print(`warden: reopened ${r.files.length} log files`);
  return EXIT.ok;
}

// What lines to show: of the instances named (`web:1`; a service named beside one, `api`, keeps
// the lines of its single instance `api`), since, matching --grep, of stderr.
function queryOf(targets: string[], options: LogsOptions): LogQuery {
  return {
    instances: targets.some((t) => t.includes(':')) ? new Set(targets) : undefined,
    sinceMs: options.since === undefined ? undefined : parseSince(options.since),
    pattern: options.grep === undefined ? undefined : parseRegExp(options.grep),
    isStderrOnly: options.stderr === true,
  };
}

/** `--since`: a duration back from now (`10m`, `1h`, `500ms`) or a date (`2026-11-21T08:00Z`). */
export function parseSince(text: string, now = Date.now()): number {
  const d = parseDuration(text);
  if (d.ok) return now - d.ms;
  const time = Date.parse(text);
  if (!Number.isNaN(time)) return time;
  throw new CliError(
    `--since takes a duration back from now (10m, 2h) or a date (2026-11-21T08:00:00Z), not "${text}"`,
    EXIT.usage,
  );
}

function parseRegExp(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError(`--grep: ${why}`, EXIT.usage);
  }
}

// Before the daemon's first `up` there is no directory to watch: make it, private as the daemon would.
function createLogDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = errnoOf(error) ?? String(error);
    throw new CliError(`cannot create ${dir} to follow logs in: ${code}`, EXIT.failed);
  }
}

function existingServices(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => f.slice(0, -4))
      .sort();
  } catch {
    return [];
  }
}
