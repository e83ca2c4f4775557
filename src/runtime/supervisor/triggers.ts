// What starts or restarts services besides a user: their `watch` (files changed) and their
// `schedule` (a cron time). Each module is loaded on the first config that needs it, by URL, so
// the daemon's bundle keeps them (and chokidar and croner) out: a config with neither loads
// nothing (docs/config/watch.md, docs/config/schedule.md). Being loaded from tsc's output, they
// must hold no state the bundle shares (as the reaper does): they hold none.
import type { ServiceSpec } from '../../config/types.js';
import type { ScheduleStatus } from '../../core/schedule.js';
import type { WatchStatus } from '../../core/watch.js';
import type { Clock } from '../../core/clock.js';
import type { Runner } from '../runner/runner.js';
import type { Schedules } from '../schedule/schedules.js';
import type { Watchers } from '../watch/watchers.js';

/** The reason of a restart `watch` asks for (the log line before it names the files). */
const WATCH_REASON = 'files changed';
/** The reason of a restart a schedule asks for: a run came while the last one ran. */
const REPLACE_REASON = 'schedule, overlap: replace';

/** What the triggers act on: the supervisor. */
export interface TriggerHost {
  clock: Clock;
  /** The instances of `service` now (none once it is gone). */
  runners(service: string): readonly Runner[];
  /** Starts `service`, unless the supervisor is shutting down; `reason` goes to the log. */
  start(service: string, reason: string): void;
  /** Restarts these instances (Supervisor.restart); resolves once each was spawned again. */
  restart(names: readonly string[], reason: string): Promise<unknown>;
  /** A rolling restart of `service` (Supervisor.rollingRestart). @throws RollingRestartError */
  rollingRestart(service: string, reason: string): Promise<unknown>;
  /** For the daemon log. */
  log(line: string): void;
}

/** The services' watches and schedules, kept in step with the config applied. */
export class Triggers {
  readonly #host: TriggerHost;
  #watchers: Watchers | undefined;
  #schedules: Schedules | undefined;
  #closed = false;

  constructor(host: TriggerHost) {
    this.#host = host;
  }

  /**
   * Watches and schedules what `specs` say, loading either module on first need. The first call
   * with a schedule is the daemon's start for `catch_up`. A module that fails to load is logged
   * (`watch: ...`, `schedule: ...`), never thrown: the config applied stays applied.
   */
  async sync(specs: readonly ServiceSpec[]): Promise<void> {
    await this.#syncWatchers(specs);
    await this.#syncSchedules(specs);
  }

  /** The watch status of `service`; null without a `watch`. */
  watchOf(service: string): WatchStatus | null {
    return this.#watchers?.status(service) ?? null;
  }

  /** The schedule status of `service`; null without a `schedule`. */
  scheduleOf(service: string): ScheduleStatus | null {
    return this.#schedules?.status(service) ?? null;
  }

  /** Tells the schedules that `runner` changed state (a run ended: a queued run may start). */
  observe(runner: Runner, wasActive: boolean): void {
    this.#schedules?.observe(runner, wasActive);
  }

  /** Ends every watch and schedule; a later sync does nothing. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#schedules?.close();
    await this.#watchers?.close();
  }

  async #syncWatchers(specs: readonly ServiceSpec[]): Promise<void> {
    const host = this.#host;
    try {
      if (this.#watchers === undefined) {
        if (!specs.some((s) => s.watch !== null)) return;
        const url = new URL('../watch/watchers.js', import.meta.url).href;
        const { Watchers } = (await import(url)) as typeof import('../watch/watchers.js');
        this.#watchers ??= new Watchers({
          clock: host.clock,
          runners: (service) => host.runners(service),
          restart: (names) => host.restart(names, WATCH_REASON),
          rollingRestart: (service) => host.rollingRestart(service, WATCH_REASON),
          log: (line) => host.log(line),
        });
      }
      if (!this.#closed) await this.#watchers.sync(specs);
    } catch (error) {
      host.log(`watch: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #syncSchedules(specs: readonly ServiceSpec[]): Promise<void> {
    const host = this.#host;
    try {
      if (this.#schedules === undefined) {
        if (!specs.some((s) => s.schedule !== null)) return;
        const url = new URL('../schedule/schedules.js', import.meta.url).href;
        const { Schedules } = (await import(url)) as typeof import('../schedule/schedules.js');
        this.#schedules ??= new Schedules({
          runners: (service) => host.runners(service),
          start: (service, reason) => host.start(service, reason),
          restart: (service) => host.restart([service], REPLACE_REASON),
          log: (line) => host.log(line),
        });
      }
      if (!this.#closed) this.#schedules.sync(specs, host.clock.now());
    } catch (error) {
      host.log(`schedule: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
