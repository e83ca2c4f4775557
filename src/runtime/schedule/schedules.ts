// The schedules of all tasks of a supervisor, kept in step with the config applied. Loaded by
// the supervisor only once a config has a `schedule` (docs/config/schedule.md), with croner.
import type { ServiceSpec } from '../../config/types.js';
import type { ScheduleStatus } from '../../core/schedule.js';
import type { Runner } from '../runner/runner.js';
import { ServiceSchedule, type ScheduleHost } from './service-schedule.js';

export type { ScheduleHost } from './service-schedule.js';

/** One ServiceSchedule per task with `schedule`. */
export class Schedules {
  readonly #host: ScheduleHost;
  readonly #byService = new Map<string, ServiceSchedule>();
  #isFirstSync = true;

  constructor(host: ScheduleHost) {
    this.#host = host;
  }

  /**
   * Schedules what `specs` say: a new or changed schedule begins, a removed one ends. On the
   * first sync (daemon start), a task with `catch_up` whose last run (state.json) is older than
   * a scheduled time that has passed runs once. @param now ms since the epoch
   */
  sync(specs: readonly ServiceSpec[], now: number): void {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const [name, s] of this.#byService) {
      const spec = wanted.get(name);
      if (spec?.schedule != null && JSON.stringify(spec.schedule) === JSON.stringify(s.spec))
        continue;
      this.#byService.delete(name);
      s.close();
    }
    for (const spec of specs) {
      if (spec.schedule === null || this.#byService.has(spec.name)) continue;
      const s = new ServiceSchedule(spec.name, spec.schedule, this.#host);
      this.#byService.set(spec.name, s);
      if (this.#isFirstSync && spec.schedule.catchUp) this.#catchUp(spec.name, s, now);
    }
    this.#isFirstSync = false;
  }

  #catchUp(service: string, s: ServiceSchedule, now: number): void {
    const starts = this.#host.runners(service).map((r) => r.model.runStartedAt ?? -1);
    const lastRunAt = Math.max(-1, ...starts);
    if (lastRunAt < 0 || !s.hasMissed(lastRunAt, now)) return;
    s.runNow('catch_up: a scheduled run was missed while no daemon ran');
  }

  /** After a transition of `runner`: tells its service's schedule, if any. */
  observe(runner: Runner, wasActive: boolean): void {
    this.#byService.get(runner.spec.name)?.observe(runner, wasActive);
  }

  /** The schedule status of `service`; null without `schedule`. */
  status(service: string): ScheduleStatus | null {
    return this.#byService.get(service)?.status() ?? null;
  }

  /** Stops every schedule (the daemon is shutting down). */
  close(): void {
    for (const s of this.#byService.values()) s.close();
    this.#byService.clear();
  }
}
