// `warden logs` without commander: entry.ts loads this bundle alone for a logs command line, so
// that printing the last lines of a log costs little more than Node's own start-up (commander,
// yaml and zod in main.js cost more than the reading). A line this does not fully understand
// (help, an unknown or combined flag, `--`, a value that looks like a flag) goes to main.ts.
import { logs, type LogsOptions } from './commands/logs.js';
import { reportError } from './context.js';

/** A plain `warden [--home DIR] [--timeout D] logs [OPTIONS] [SERVICE...]`. */
export interface LogsLine {
  targets: string[];
  options: LogsOptions;
}

const FLAGS: Record<string, 'follow' | 'stderr' | 'reopen'> = {
  '-f': 'follow',
  '--follow': 'follow',
  '--stderr': 'stderr',
  '--reopen': 'reopen',
};
const VALUES: Record<string, 'lines' | 'since' | 'grep' | 'home' | 'answerTimeout'> = {
  '-n': 'lines',
  '--lines': 'lines',
  '--since': 'since',
  '--grep': 'grep',
  '--home': 'home',
  '--timeout': 'answerTimeout',
};

/** The logs command in `args` (argv without node and the script), or undefined for any other. */
export function parseLogsLine(args: readonly string[]): LogsLine | undefined {
  const line: LogsLine = { targets: [], options: {} };
  let isLogs = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? (/^-n\d/.test(arg) ? '-n' : arg) : arg.slice(0, eq);
    const flag = FLAGS[name];
    const key = VALUES[name];
    if (flag !== undefined && name === arg && isLogs) {
      line.options[flag] = true;
    } else if (key !== undefined && (isLogs || key === 'home' || key === 'answerTimeout')) {
      const value = eq !== -1 ? arg.slice(eq + 1) : name !== arg ? arg.slice(2) : args[++i];
      if (value === undefined || value === '' || value.startsWith('-')) return undefined;
      line.options[key] = value;
    } else if (!isLogs && arg === 'logs') {
      isLogs = true;
    } else if (!isLogs || arg.startsWith('-')) {
      return undefined;
    } else {
      line.targets.push(arg);
    }
  }
  return isLogs ? line : undefined;
}

/** Runs a logs command line (process.argv form). Sets process.exitCode; never throws. */
export async function runLogs(argv: string[]): Promise<void> {
  const line = parseLogsLine(argv.slice(2));
  if (line === undefined) return (await import('./main.js')).main(argv);
  try {
    process.exitCode = await logs(line.targets, line.options);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
