// One attempt of a polled readiness check (tcp, http, exec; docs/config/ready.md): what it
// answers, and the time limit and abort every attempt obeys.
import { errnoOf } from '../ffi/errno.js';

/** `true` when ready, else why not (`ECONNREFUSED`, `HTTP 503`, `exit 1`...). */
export type AttemptResult = true | string;

/** One check attempt: settles by `timeoutMs` or soon after `signal` aborts. */
export type Attempt = (timeoutMs: number, signal: AbortSignal) => Promise<AttemptResult>;

/**
 * Runs `start` with a `finish` that settles once, and a timer and an abort that call `onLimit` (with why the
 * attempt is cut short); `start` returns `onLimit`.
 */
export function settleOnce(
  timeoutMs: number,
  signal: AbortSignal,
  start: (finish: (r: AttemptResult) => void) => (why: string) => void,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onLimit = start(finish);
    const timer = setTimeout(() => onLimit(`no success within ${timeoutMs}ms`), timeoutMs);
    const onAbort = (): void => onLimit('stopped');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why an attempt failed: the errno name of `error` (`ECONNREFUSED`), else its message. */
export function failureOf(error: unknown): string {
  return errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Why an attempt failed, with the system call when the error names one (`connect
 * ECONNREFUSED`, `read ECONNRESET`), else as failureOf.
 */
export function syscallFailureOf(error: unknown): string {
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  const errno = errnoOf(error);
  return typeof syscall === 'string' && errno !== undefined
    ? `${syscall} ${errno}`
    : failureOf(error);
}
