// What every CLI verb shares: the home, the connection to the daemon, and error-to-exit-code mapping.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDuration } from '../config/duration.js';
import { WardenError } from '../core/warden-error.js';
import { checkHome, UntrustedError } from '../effects/files/home-trust.js';
import { resolveHome, socketPathProblem, type HomePaths } from '../home/paths.js';
import {
  connectControl,
  DaemonTimeoutError,
  NoDaemonError,
  RemoteError,
  type ControlClient,
  type ControlOptions,
} from '../ipc/client.js';
import type { ErrorCode } from '../ipc/protocol.js';
import { EXIT, printError } from './output.js';

/** Global options every verb accepts. */
export interface GlobalOptions {
  home?: string;
  /**
   * The program's `--timeout`: how long the daemon may stay silent (default 10s). For `up` and
   * `wait`, whose own `--timeout` bounds the wait, only `warden --timeout D up` sets it.
   */
  answerTimeout?: string;
}

/** How long the daemon may stay silent before a CLI request gives up (ms). */
export const DEFAULT_ANSWER_TIMEOUT_MS = 10_000;

/** The answer timeout of `options` (ms). @throws CliError (exit 2) for a bad `--timeout` */
export function answerTimeoutOf(options: GlobalOptions): number {
  if (options.answerTimeout === undefined) return DEFAULT_ANSWER_TIMEOUT_MS;
  const r = parseDuration(options.answerTimeout);
  if (!r.ok) throw new CliError(`--timeout: ${r.message}`, EXIT.usage);
  if (r.ms === 0) throw new CliError('--timeout: must be more than 0', EXIT.usage);
  return r.ms;
}

/** The `code` of a CliError: the name of its exit code. */
export type CliErrorCode = 'FAILED' | 'USAGE' | 'NO_DAEMON';

/** A CLI failure with the exit code it maps to (README "Exit codes"). */
export class CliError extends WardenError<CliErrorCode> {
  constructor(
    message: string,
    readonly exitCode: number,
    options: { cause?: unknown } = {},
  ) {
    super(
      exitCode === EXIT.usage ? 'USAGE' : exitCode === EXIT.noDaemon ? 'NO_DAEMON' : 'FAILED',
      message,
      options,
    );
    this.name = 'CliError';
  }
}

/**
 * The home selected by `--home` or the environment, once it is known to be ours or root's and
 * out of other users' reach (docs/security.md). @throws CliError (exit 2) when it is not
 */
export function homeOf(options: GlobalOptions): HomePaths {
  const home = resolveHome(options.home);
  const tooLong = socketPathProblem(home.socket);
  if (tooLong !== undefined) throw new CliError(tooLong, EXIT.usage);
  try {
    checkHome(home.home, home.logDir, [process.getuid?.() ?? 0, 0]);
  } catch (error) {
    if (error instanceof UntrustedError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  return home;
}

/**
 * Connects to the running daemon; requests give up after the answer timeout of `options`.
 * @throws NoDaemonError (exit 3), DaemonTimeoutError (exit 1)
 */
export function connect(
  options: GlobalOptions,
  extra: Omit<ControlOptions, 'timeoutMs'> = {},
): Promise<ControlClient> {
  return connectControl(homeOf(options).socket, {
    ...extra,
    timeoutMs: answerTimeoutOf(options),
  });
}

/** Runs `fn` with a connection to the daemon of `options`, closing it afterwards. */
export async function withClient<T>(
  options: GlobalOptions,
  fn: (c: ControlClient) => Promise<T>,
): Promise<T> {
  const client = await connect(options);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** The exit code of each protocol error: 2 for what the user asked wrong, else 1. */
const EXIT_OF: Record<ErrorCode, number> = {
  BAD_REQUEST: EXIT.usage,
  UNKNOWN_METHOD: EXIT.failed,
  INVALID_PARAMS: EXIT.usage,
  UNKNOWN_SERVICE: EXIT.usage,
  CONFIG_ERROR: EXIT.usage,
  CONFIG_MISMATCH: EXIT.usage,
  NOT_RUNNING: EXIT.failed,
  ROLLING_RESTART_FAILED: EXIT.failed,
  SHUTTING_DOWN: EXIT.failed,
  PERMISSION_DENIED: EXIT.failed,
  INTERNAL: EXIT.failed,
};

/** Prints `error` for a user and returns the exit code it maps to. */
export function reportError(error: unknown): number {
  if (error instanceof CliError) {
    printError(error.message);
    return error.exitCode;
  }
  if (error instanceof UntrustedError) {
    printError(error.message);
    return EXIT.usage;
  }
  if (error instanceof NoDaemonError) {
    printError(error.message);
    return EXIT.noDaemon;
  }
  if (error instanceof DaemonTimeoutError) {
    printError(describeSilence(error));
    return EXIT.failed;
  }
  if (error instanceof RemoteError) {
    // A refusal names its code, which the docs and a search explain (docs/config/control.md).
    printError(
      error.code === 'PERMISSION_DENIED' ? `${error.code}: ${error.message}` : error.message,
    );
    // A code this CLI does not know (a newer daemon's) is a failure.
    return Object.hasOwn(EXIT_OF, error.code) ? EXIT_OF[error.code] : EXIT.failed;
  }
  printError(error instanceof Error ? error.message : String(error));
  return EXIT.failed;
}

/**
 * Says which daemon did not answer, and whether it is stopped (state `T` in /proc/PID/stat, as
 * after SIGSTOP or a Ctrl-Z of `warden run`), which a user can undo.
 */
export function describeSilence(error: DaemonTimeoutError): string {
  const home = dirname(error.socketPath);
  const pid = pidIn(join(home, 'warden.pid'));
  const within = formatMs(error.timeoutMs);
  if (pid === null) return `the daemon of ${home} did not answer within ${within}`;
  const said = `the daemon (pid ${pid}) did not answer within ${within}`;
  const state = processState(pid);
  if (state === 'T' || state === 't')
    return `${said}; it is stopped (SIGSTOP?); continue it with kill -CONT ${pid}`;
  return `${said}; it may be hung or very busy (see ${join(home, 'warden.log')}); --timeout DURATION waits longer`;
}

// The pid in the daemon's pid file (read here: home/pid-file.js would load libc for the CLI).
function pidIn(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

// The state letter of /proc/PID/stat (after the command's closing parenthesis), or undefined.
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
