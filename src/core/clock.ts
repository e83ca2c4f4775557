// Time and timers as the rest of warden sees them: injected, so that the runtime's backoff and
// timers and the log files' retries and stalls run in virtual time in tests
// (test/helpers/fake-clock.ts). The core itself computes with times given to it.

/** A source of time and timers. */
export interface Clock {
  /** ms since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; returns a handle for `cancel`. */
  after(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}
