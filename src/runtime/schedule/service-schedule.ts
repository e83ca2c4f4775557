// The schedule of one task (docs/config/schedule.md): a croner job that starts the task at its
// times, what happens when a time comes while the last run still runs (`overlap`), and the
// task's last runs for `status`.
import { Cron } from 'croner';
import type { ScheduleSpec } from '../../config/types.js';
import { isActive } from '../../core/instance.js';
import type { ScheduledRun, ScheduleStatus } from '../../core/schedule.js';
import type { Runner } from '../runner/runner.js';

/** How many runs `status` shows. */
export const KEPT_RUNS = 5;

/** What a schedule acts on: the supervisor's runners and requests. */
export interface ScheduleHost {
  /** The instances of `service` now. */
  runners: (service: string) => readonly Runner[];
  /** Runs `service` (as `warden start SERVICE`); `reason` goes to the log of its start. */
  start: (service: string, reason: string) => void;
  /** Stops `service`'s current run and runs it anew (as `warden restart SERVICE`). */
  restart: (service: string) => Promise<unknown>;
  /** The daemon's log. */
  log: (line: string) => void;
}

/** One task's schedule. */
export class ServiceSchedule {
  readonly #service: string;
  readonly #spec: ScheduleSpec;
  readonly #host: ScheduleHost;
  readonly #job: Cron;
  readonly #runs: ScheduledRun[] = [];
  #skipped = 0;
  #queued = false;

  /** Starts the job of `spec` for `service`. @throws croner's error for a bad expression */
  constructor(service: string, spec: ScheduleSpec, host: ScheduleHost) {
    this.#service = service;
    this.#spec = spec;
    this.#host = host;
    const options = spec.timezone === null ? {} : { timezone: spec.timezone };
    this.#job = new Cron(spec.cron, options, () => {
      // A throw here would reach croner's timer, and the daemon's uncaught handler.
      try {
        this.#fire();
      } catch (error) {
        host.log(`${service}: scheduled run failed to start: ${String(error)}`);
      }
    });
  }

  /** The definition this schedule runs. */
  get spec(): ScheduleSpec {
    return this.#spec;
  }

  /**
   * True when a scheduled time passed after the task's last run started (`lastRunAt`, ms
   * since the epoch) and before `now`: a run was missed while no daemon ran.
   */
  hasMissed(lastRunAt: number, now: number): boolean {
    const next = this.#job.nextRun(new Date(lastRunAt));
    return next !== null && next.getTime() <= now;
  }

  /** Runs the task now, as at a scheduled time (`catch_up`); `reason` goes to the log. */
  runNow(reason: string): void {
    this.#host.start(this.#service, reason);
  }

  // A scheduled time: run, unless the last run still runs (then as `overlap` says).
  #fire(): void {
    if (!this.#isRunning()) {
      this.#host.start(this.#service, 'scheduled run');
      return;
    }
    switch (this.#spec.overlap) {
      case 'skip':
        this.#skipped++;
        this.#host.log(`${this.#service}: scheduled run skipped: the last run still runs`);
        return;
      case 'queue':
        this.#queued = true;
        return;
      case 'replace':
        this.#host.log(`${this.#service}: scheduled run replaces the last run, still running`);
        this.#host.restart(this.#service).catch((error: unknown) => {
          this.#host.log(`${this.#service}: scheduled run: ${String(error)}`);
        });
        return;
    }
  }

  #isRunning(): boolean {
    return this.#host.runners(this.#service).some((r) => isActive(r.model.current));
  }

  /** After a transition of one of the task's instances: a run that ended is kept; a queued run starts. */
  observe(runner: Runner, wasActive: boolean): void {
    const m = runner.model;
    if (!wasActive || isActive(m.current)) return;
    const startedAt = m.runStartedAt;
    if (startedAt !== null) {
      const durationMs = m.current.since - startedAt;
      this.#runs.push({ startedAt, durationMs, exit: m.lastExit });
      if (this.#runs.length > KEPT_RUNS) this.#runs.shift();
    }
    if (this.#queued && !this.#isRunning()) {
      this.#queued = false;
      this.#host.start(this.#service, 'scheduled run (queued)');
    }
  }

  /** What `status` shows of it. */
  status(): ScheduleStatus {
    return {
      cron: this.#spec.cron,
      timezone: this.#spec.timezone,
      overlap: this.#spec.overlap,
      nextRunAt: this.#job.nextRun()?.getTime() ?? null,
      lastRuns: [...this.#runs],
      skipped: this.#skipped,
      queued: this.#queued,
    };
  }

  /** Stops the job. */
  close(): void {
    this.#job.stop();
  }
}
