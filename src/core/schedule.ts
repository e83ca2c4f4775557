// The `schedule` of a task as `status --json` shows it on each of its instances
// (docs/config/schedule.md). The runtime keeps it; the core only names its shape.
import type { LastExit } from './exit.js';

/** One run of a scheduled task (by its schedule or on request). */
export interface ScheduledRun {
  /** When its process was spawned (ms since the epoch). */
  startedAt: number;
  /** How long it ran (ms); null when unknown. */
  durationMs: number | null;
  /** How it ended: `{code}`, `{signal, coreDumped}`, a spawn failure, or null when unknown. */
  exit: LastExit | null;
}

/** A task's schedule: its times, the next one, and its last runs. */
export interface ScheduleStatus {
  /** The cron expression, as configured. */
  cron: string;
  /** The IANA time zone of its times; null: the daemon's local time. */
  timezone: string | null;
  overlap: 'skip' | 'queue' | 'replace';
  /** When it runs next (ms since the epoch); null: never again. */
  nextRunAt: number | null;
  /** The last runs under this daemon, oldest first (at most 5). */
  lastRuns: ScheduledRun[];
  /** Scheduled times left out since the daemon started (`overlap: skip`: the last run still ran). */
  skipped: number;
  /** A run waits for the current one to end (`overlap: queue`). */
  queued: boolean;
}
