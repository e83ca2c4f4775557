// `shutdown_timeout`: a cap on a stop of everything (down, SIGTERM, the end of `warden run`).
// When it elapses, every instance still active gets SIGKILL at once (the core's `kill` event),
// whatever its own stop_timeout, so the whole stop fits a container's termination grace period.
import type { Clock } from '../../core/clock.js';
import { isActive } from '../../core/instance.js';
import type { Runner } from '../runner/runner.js';

/**
 * Arms the cap: after `timeoutMs` (null: no cap) every runner of `runners()` still active is
 * killed, and `log` names them (`shutdown_timeout (30000ms) elapsed: SIGKILL to web, db`).
 * @returns a function that disarms it (call once the stop is over)
 */
export function capShutdown(
  timeoutMs: number | null,
  runners: () => readonly Runner[],
  clock: Clock,
  log: (line: string) => void,
): () => void {
  if (timeoutMs === null) return () => undefined;
  const handle = clock.after(timeoutMs, () => {
    const left = runners().filter((r) => isActive(r.model.current));
    if (left.length === 0) return;
    log(
      `shutdown_timeout (${timeoutMs}ms) elapsed: SIGKILL to ${left.map((r) => r.name).join(', ')}`,
    );
    for (const r of left) r.dispatch({ type: 'kill' });
  });
  return () => clock.cancel(handle);
}
