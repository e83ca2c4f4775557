import type { Clock } from '../core/clock.js';

/**
 * Date.now and Node timers, unref'd: a pending retry or stall of a log file never keeps a
 * process alive (the CLI, a test).
 */
export const logClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => setTimeout(fn, ms).unref(),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
