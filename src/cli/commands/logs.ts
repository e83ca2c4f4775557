// `warden logs [SERVICE...] [-n N] [-f] [--since D] [--grep RE] [--stderr]`: reads the log files
// in WARDEN_HOME directly (rotated ones too), so it works whether or not the daemon runs.
// `--reopen` asks the daemon to reopen its files after an external logrotate.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../config/duration.js';
import { parseLogLine } from '../../logs/format.js';
import { follow } from '../../logs/follow.js';
import { historyLines, mergeByTime, takeLast } from '../../logs/history.js';
import { CliError, homeOf, withClient, type GlobalOptions } from '../context.js';
import { EXIT, paint, print, printError, type Colour } from '../output.js';
import { errnoOf } from '../../effects/ffi/errno.js';

const PALETTE: Colour[] = ['cyan', 'magenta', 'blue', 'green', 'yellow'];

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
  const keep = lineFilter(targets, options);
  const sinceMs = options.since === undefined ? undefined : parseSince(options.since);
  const services =
    targets.length > 0 ? targets.map((t) => t.split(':')[0] ?? t) : existingServices(dir);
  const paths = [...new Set(services)].map((s) => join(dir, `${s}.log`));
  const isFollow = options.follow === true;
  for (const p of paths)
    if (!existsSync(p))
      printError(isFollow ? `no log yet at ${p}; waiting for it` : `no log yet at ${p}`);
  const colours = new Map<string, Colour>();
  const show = (line: string): void => print(colourLine(line, colours));
  const history = paths.map((p) => historyLines(p, n, keep, sinceMs));
  for (const line of takeLast(mergeByTime(history), n)) show(line);
  if (!isFollow) return EXIT.ok;
  createLogDir(dir);
  const stop = follow(
    paths,
    (line) => {
      if (keep === undefined || keep(line)) show(line);
    },
    {
      // Without SERVICE, services that write their first line later are shown too.
      discover: targets.length === 0 ? { dir, match: (name) => name.endsWith('.log') } : undefined,
      onError: printError,
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

// The filter of instance names, --since, --grep and --stderr; undefined when there is none.
function lineFilter(
  targets: string[],
  options: LogsOptions,
): ((line: string) => boolean) | undefined {
  const instances = new Set(targets.filter((t) => t.includes(':')));
  const sinceMs = options.since === undefined ? undefined : parseSince(options.since);
  const pattern = options.grep === undefined ? undefined : parseRegExp(options.grep);
  const isStderr = options.stderr === true;
  if (instances.size === 0 && sinceMs === undefined && pattern === undefined && !isStderr)
    return undefined;
  return (line) => {
    const parsed = parseLogLine(line);
    if (parsed === undefined) return false;
    if (instances.size > 0 && !instances.has(parsed.instance) && !targets.includes(parsed.instance))
      return false;
    if (sinceMs !== undefined && parsed.time < sinceMs) return false;
    if (isStderr && parsed.stream !== 'err') return false;
    return pattern === undefined || pattern.test(parsed.text);
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

function colourLine(line: string, colours: Map<string, Colour>): string {
  const parsed = parseLogLine(line);
  if (parsed === undefined) return line;
  let colour = colours.get(parsed.instance);
  if (colour === undefined) {
    colour = PALETTE[colours.size % PALETTE.length] ?? 'cyan';
    colours.set(parsed.instance, colour);
  }
  const stream = parsed.stream === 'err' ? paint('red', 'err') : 'out';
  const time = line.startsWith('{') ? new Date(parsed.time).toISOString() : line.split(' ', 1)[0];
  return `${paint('dim', time ?? '')} ${paint(colour, parsed.instance)} ${stream} | ${parsed.text}`;
}
