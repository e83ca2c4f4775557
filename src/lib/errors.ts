// The one error type of daemonize(): what failed, the errno name or reason in `code`, the cause.
import { WardenError } from '../core/warden-error.js';
import { errnoOf } from '../effects/ffi/errno.js';

/**
 * daemonize() could not do one of its steps. `code` is an errno name (`EMFILE`, `ENOENT`,
 * `EACCES`, `EPERM`...) or one of `ALREADY_RUNNING` (the pid file is locked by another
 * process; `holder` is its pid when known), `UNKNOWN_USER`, `UNKNOWN_GROUP`.
 */
export class DaemonizeError extends WardenError {
  /** For `ALREADY_RUNNING`: the pid written in the locked pid file, or null when unreadable. */
  readonly holder: number | null;
  constructor(code: string, message: string, options: { cause?: unknown; holder?: number } = {}) {
    super(code, message, options);
    this.name = 'DaemonizeError';
    this.holder = options.holder ?? null;
  }
}

/** The errno name of a Node or SyscallError (`code`), else `fallback`. */
export function codeOf(error: unknown, fallback = 'EIO'): string {
  return errnoOf(error) ?? fallback;
}

/** Wraps `error` from the step `what` (e.g. "cannot open /dev/null") with its errno name. */
export function stepFailed(what: string, error: unknown): DaemonizeError {
  if (error instanceof DaemonizeError) return error;
  const code = codeOf(error);
  return new DaemonizeError(code, `${what}: ${code}`, { cause: error });
}
