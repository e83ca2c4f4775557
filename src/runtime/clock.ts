import type { Clock } from '../core/clock.js';

/** The real clock: Date.now and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => setTimeout(fn, ms),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
