// What every CLI verb shares: the home, the connection to the daemon, and error-to-exit-code mapping.
import { resolveHome, socketPathProblem, type HomePaths } from '../daemon/home.js';
import { checkHome, UntrustedError } from '../effects/home-trust.js';
import { connectControl, NoDaemonError, RemoteError, type ControlClient } from '../ipc/client.js';
import { EXIT, printError } from './output.js';

/** Global options every verb accepts. */
export interface GlobalOptions {
  home?: string;
}

/** A CLI failure with the exit code it maps to (README "Exit codes"). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
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

/** Connects to the running daemon. @throws NoDaemonError (exit 3) */
export function connect(home: HomePaths): Promise<ControlClient> {
  return connectControl(home.socket);
}

/** Runs `fn` with a connection, closing it afterwards. */
export async function withClient<T>(
  home: HomePaths,
  fn: (c: ControlClient) => Promise<T>,
): Promise<T> {
  const client = await connect(home);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

const USAGE_CODES = new Set([
  'UNKNOWN_SERVICE',
  'INVALID_PARAMS',
  'CONFIG_ERROR',
  'CONFIG_MISMATCH',
  'BAD_REQUEST',
]);

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
  if (error instanceof RemoteError) {
    printError(error.message);
    return USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.failed;
  }
  printError(error instanceof Error ? error.message : String(error));
  return EXIT.failed;
}
