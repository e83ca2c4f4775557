// Loads the schedule module (and croner with it) once a config has a `schedule`: a config
// without one loads neither (docs/config/schedule.md).
import type { ServiceSpec } from '../../config/types.js';
import type { Schedules, ScheduleHost } from '../schedule/schedules.js';

/**
 * The schedules to sync `specs` with: `current` when there is one, else new Schedules on
 * `host`, or undefined while no spec has a schedule. @throws the import's error
 */
export async function loadSchedules(
  current: Schedules | undefined,
  specs: readonly ServiceSpec[],
  host: ScheduleHost,
): Promise<Schedules | undefined> {
  if (current !== undefined) return current;
  if (!specs.some((s) => s.schedule !== null)) return undefined;
  // By URL, as the watch module: the daemon's bundle keeps it (and croner) out; it holds no
  // state the bundle shares.
  const url = new URL('../schedule/schedules.js', import.meta.url).href;
  const { Schedules } = (await import(url)) as typeof import('../schedule/schedules.js');
  return new Schedules(host);
}
