// Time and timers of a log file, injected so that its retries and stalls run in virtual time in
// tests (test/helpers/fake-clock.ts).

/**
 * A source of time and timers, of the same shape as the runtime's Clock (src/runtime/clock.ts),
 * so one fake fits both; declared here so that logs import nothing from the runtime.
 */
export interface LogClock {
  /** ms since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; returns a handle for `cancel`. */
  after(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

/**
 * Date.now and Node timers, unref'd: a pending retry or stall of a log file never keeps a
 * process alive (the CLI, a test).
 */
export const logClock: LogClock = {
  now: () => Date.now(),
  after: (ms, fn) => setTimeout(fn, ms).unref(),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
