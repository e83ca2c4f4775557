// Events for many runners at once, a slice per event-loop turn, and the waits that follow.
import { isActive, type InstanceModel } from '../../core/instance.js';
import type { Runner } from '../runner/runner.js';

/** Runners stopped or restarted per event-loop turn (each signals its tree: ~1-3 ms). */
const SLICE = 64;

/**
 * Dispatches `event` to every runner, yielding to the event loop between slices: stopping 3,600
 * instances at once held the loop for 12 s, and no client got an answer meanwhile.
 */
export async function dispatchInSlices(
  runners: readonly Runner[],
  event: { type: 'stop' } | { type: 'restart'; reason?: string },
): Promise<void> {
  for (let i = 0; i < runners.length; i += SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const r of runners.slice(i, i + SLICE)) r.dispatch(event);
  }
}

/** Stops `runners`; resolves once no process of any of them is left. */
export async function stopAndWait(runners: readonly Runner[]): Promise<void> {
  await dispatchInSlices(runners, { type: 'stop' });
  await Promise.all(runners.map((r) => r.until((m) => !isActive(m.current))));
}

/** True once a restart is past its stop: spawned again, or settled elsewhere. */
export function hasLeftStopping(m: InstanceModel): boolean {
  return m.current.state !== 'stopping';
}
