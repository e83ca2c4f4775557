// Restart policy, backoff and start limit: pure arithmetic on the instance's history.
import type { BackoffSpec, RestartPolicy, StartLimitSpec } from './spec.js';
import { isCleanExit, type ExitStatus } from './exit.js';

/** True when `policy` asks for a restart after `exit` (systemd.service(5), `Restart=`). */
export function shouldRestart(policy: RestartPolicy, exit: ExitStatus): boolean {
  switch (policy) {
    case 'always':
      return true;
    case 'on-failure':
      return !isCleanExit(exit);
    case 'never':
      return false;
    default:
      return assertNever(policy);
  }
}

/**
 * Delay before the next automatic restart (ms): `initial`, doubled per consecutive failure
 * before it, capped at `max`.
 * @param consecutive failures since the last reset, counting the one that just happened (>= 1)
 */
export function backoffDelay(spec: BackoffSpec, consecutive: number): number {
  const exponent = Math.max(0, consecutive - 1);
  // 2^31 already exceeds any sane max; clamping avoids Infinity.
  const delay = spec.initialMs * 2 ** Math.min(exponent, 31);
  return Math.min(spec.maxMs, delay);
}

/**
 * Records a failed start at `now` (ms) and tells whether the start limit is now exceeded.
 * @returns the failed-start times still inside the window, and `exceeded` when there are more
 * than `burst` of them.
 */
export function recordFailedStart(
  spec: StartLimitSpec,
  history: readonly number[],
  now: number,
): { history: number[]; exceeded: boolean } {
  const recent = history.filter((t) => now - t < spec.intervalMs);
  recent.push(now);
  return { history: recent, exceeded: recent.length > spec.burst };
}

/** Compile-time exhaustiveness check for `switch` statements over unions. */
export function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
