// The first module of the `warden` executable. `warden status`, the verb run most (by people,
// and by scripts that poll), is answered here without loading commander or any other verb's
// code: the CLI then costs little more than Node's own start-up. Every other command line, and
// any status line this does not fully understand (help, an unknown flag, `--`), goes to main.ts;
// a logs line goes to logs-entry.ts.
import { status } from './commands/status.js';
import { reportError } from './context.js';

/** A plain `warden [--home DIR] [--timeout D] status [--json] [--timeout D] [SERVICE...]`. */
export interface StatusLine {
  services: string[];
  json: boolean;
  home?: string;
  answerTimeout?: string;
}

/** The status command in `args` (argv without node and the script), or undefined for any other. */
export function parseStatusLine(args: readonly string[]): StatusLine | undefined {
  const line: StatusLine = { services: [], json: false };
  let isStatus = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--home' || arg.startsWith('--home=')) {
      const dir = arg === '--home' ? args[++i] : arg.slice('--home='.length);
      if (dir === undefined || dir === '') return undefined;
      line.home = dir;
    } else if (arg === '--timeout' || arg.startsWith('--timeout=')) {
      const d = arg === '--timeout' ? args[++i] : arg.slice('--timeout='.length);
      if (d === undefined || d === '') return undefined;
      line.answerTimeout = d;
    } else if (!isStatus) {
      if (arg !== 'status') return undefined;
      isStatus = true;
    } else if (arg === '--json') {
      line.json = true;
    } else if (arg.startsWith('-')) {
      return undefined;
    } else {
      line.services.push(arg);
    }
  }
  return isStatus ? line : undefined;
}

/** The verb of `args`: the first word after the global options (undefined if none). */
export function verbOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--home' || arg === '--timeout') i++;
    else if (!arg.startsWith('--home=') && !arg.startsWith('--timeout=')) return arg;
  }
  return undefined;
}

/** Runs the CLI on `argv` (process.argv form). Sets process.exitCode; never throws. */
export async function run(argv: string[]): Promise<void> {
  // `logs` has a bundle of its own (logs-entry.ts): reading logs needs neither commander nor zod.
  if (verbOf(argv.slice(2)) === 'logs') return (await import('./logs-entry.js')).runLogs(argv);
  const line = parseStatusLine(argv.slice(2));
  if (line === undefined) return (await import('./main.js')).main(argv);
  try {
    process.exitCode = await status(line.services, line);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
