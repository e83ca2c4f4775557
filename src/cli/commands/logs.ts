// `warden logs [SERVICE...] [-n N] [-f]`: reads the log files in WARDEN_HOME directly, so it works
// whether or not the daemon runs.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseLogLine } from '../../logs/log-file.js';
import { follow, lastLines, mergeByTime } from '../../logs/reader.js';
import { CliError, homeOf, type GlobalOptions } from '../context.js';
import { EXIT, paint, print, printError, type Colour } from '../output.js';

const PALETTE: Colour[] = ['cyan', 'magenta', 'blue', 'green', 'yellow'];

/** Options of `logs`. */
export interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
}

/** `warden logs`: the last N lines (default 50), merged in time order; `-f` keeps following. */
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
  for (const p of paths)
    if (!existsSync(p) && options.follow !== true) printError(`no log yet at ${p}`);
  const colours = new Map<string, Colour>();
  const show = (line: string): void => print(colourLine(line, colours));
  for (const line of mergeByTime(paths.map((p) => lastLines(p, n).filter(keep))).slice(-n))
    show(line);
  if (options.follow !== true) return EXIT.ok;
  const stop = follow(paths, (line) => keep(line) && show(line));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stop();
  return EXIT.ok;
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
