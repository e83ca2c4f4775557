// `warden logs [SERVICE...] [-n N] [-f]`: reads the log files in WARDEN_HOME directly, so it works
// whether or not the daemon runs.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseLogLine } from '../../logs/log-file.js';
import { follow, lastLines, mergeByTime, takeLast } from '../../logs/reader.js';
import { CliError, homeOf, type GlobalOptions } from '../context.js';
import { EXIT, paint, print, printError, type Colour } from '../output.js';

const PALETTE: Colour[] = ['cyan', 'magenta', 'blue', 'green', 'yellow'];

/** Options of `logs`. */
export interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
}

/**
 * `warden logs`: the last N lines (default 50), merged in time order. `-f` then prints new lines
 * until SIGINT/SIGTERM, creating the log directory (mode 0700) if missing and picking up files
 * that appear later (without SERVICE: every new `*.log`).
 */
export async function logs(targets: string[], options: LogsOptions): Promise<number> {
  const dir = homeOf(options).logDir;
  const n = Number(options.lines ?? '50');
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`-n takes a whole number, not "${options.lines}"`, EXIT.usage);
  const services =
    targets.length > 0 ? targets.map((t) => t.split(':')[0] ?? t) : existingServices(dir);
  const instances = new Set(targets.filter((t) => t.includes(':')));
  const keep = (line: string): boolean => {
    if (instances.size === 0) return true;
    const parsed = parseLogLine(line);
    return (
      parsed !== undefined && (instances.has(parsed.instance) || targets.includes(parsed.instance))
    );
  };
  const paths = [...new Set(services)].map((s) => join(dir, `${s}.log`));
  const isFollow = options.follow === true;
  for (const p of paths)
    if (!existsSync(p))
      printError(isFollow ? `no log yet at ${p}; waiting for it` : `no log yet at ${p}`);
  const colours = new Map<string, Colour>();
  const show = (line: string): void => print(colourLine(line, colours));
  for (const line of takeLast(mergeByTime(paths.map((p) => lastLines(p, n).filter(keep))), n))
    show(line);
  if (!isFollow) return EXIT.ok;
  createLogDir(dir);
  const stop = follow(
    paths,
    (line) => {
      if (keep(line)) show(line);
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

// Before the daemon's first `up` there is no directory to watch: make it, private as the daemon would.
function createLogDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
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
  return `${paint('dim', new Date(parsed.time).toISOString())} ${paint(colour, parsed.instance)} ${stream} | ${parsed.text}`;
}
