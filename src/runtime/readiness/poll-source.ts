// A polled readiness source (tcp, http, exec): one attempt right after the spawn, then one
// `intervalMs` after the previous attempt settled, until ready or stopped. Never two at a time.
import type { Attempt } from '../../effects/probes/attempt.js';
import type { ReadinessHooks, ReadinessProbe } from './types.js';

/** The least time one attempt gets (ms), however short the interval: a loaded machine is slow. */
export const MIN_ATTEMPT_MS = 1000;

/**
 * A probe that runs `attempt` (each limited to max(`intervalMs`, MIN_ATTEMPT_MS)) from
 * `started()` until it succeeds,
 * then calls `hooks.ready(source)` once. Each distinct reason for not being ready is logged once
 * per run (`ready tcp 127.0.0.1:3000: not yet: ECONNREFUSED`) and given to `hooks.waiting`.
 */
export function pollSource(
  source: string,
  target: string,
  intervalMs: number,
  attempt: Attempt,
  hooks: ReadinessHooks,
): ReadinessProbe {
  let run = 0;
  let timer: NodeJS.Timeout | undefined;
  let abort: AbortController | undefined;

  const halt = (): void => {
    run++;
    clearTimeout(timer);
    timer = undefined;
    abort?.abort();
    abort = undefined;
  };

  const poll = async (
    myRun: number,
    controller: AbortController,
    lastWhy: string,
  ): Promise<void> => {
    timer = undefined;
    const result = await attempt(Math.max(intervalMs, MIN_ATTEMPT_MS), controller.signal);
    if (myRun !== run) return;
    if (result === true) {
      abort = undefined;
      return hooks.ready(source);
    }
    if (result !== lastWhy) {
      hooks.log(`ready ${source} ${target}: not yet: ${result}`);
      hooks.waiting(`${source} ${target}: ${result}`);
    }
    timer = setTimeout(() => void poll(myRun, controller, result), intervalMs);
  };

  return {
    extras: () => ({ env: {}, pipes: [] }),
    started() {
      halt();
      abort = new AbortController();
      void poll(run, abort, '');
    },
    line: () => undefined,
    stop: halt,
    close: halt,
  };
}
