// What a runner tells of its instance: the record state.json keeps, and the status of
// `status --json` (built by the core from the model and what the runner observes).
import type { ServiceSpec } from '../../config/types.js';
import { isActive, pidOf, type InstanceModel } from '../../core/instance.js';
import type { HealthStatus } from '../../core/health.js';
import type { WatchStatus } from '../../core/watch.js';
import type { ScheduleStatus } from '../../core/schedule.js';
import { encodeInstance, type InstanceStatus, type LogHealth } from '../../core/status.js';
import type { InstanceRecord } from '../instance-record.js';
import type { ProcessHold } from './hold.js';

/** The record of instance `m` for state.json: its model, and its process while it holds one. */
export function instanceRecord(m: InstanceModel, hold: ProcessHold): InstanceRecord {
  const live = pidOf(m.current) !== null && hold.isAttached;
  return {
    name: m.name,
    index: m.index,
    current: m.current,
    restarts: m.restarts,
    consecutiveFailures: m.consecutiveFailures,
    failedStarts: m.failedStarts,
    lastExit: m.lastExit,
    runStartedAt: m.runStartedAt,
    process: live ? (hold.process ?? null) : null,
  };
}

/** What a runner observes beyond the model and its hold. */
export interface Observed {
  /** The kept stderr lines, oldest first. */
  stderr: readonly string[];
  /** The telling stderr lines of the last run (logs/telling-lines.ts). */
  stderrSummary: readonly string[];
  /** The last sd_notify `STATUS=` text; null before any. */
  statusText: string | null;
  /** Why the readiness check has not passed since the last spawn; null once it passed. */
  waiting: string | null;
  logs: LogHealth;
  /** The `health` probes' status; null without `health`. */
  health: HealthStatus | null;
  /** The service's `watch` status; null without `watch`. */
  watch: WatchStatus | null;
  /** The service's `schedule` status; null without `schedule`. */
  schedule: ScheduleStatus | null;
}

/** The status of instance `m` of `spec`: fields of a live process only while it is held. */
export function instanceStatus(
  m: InstanceModel,
  spec: ServiceSpec,
  hold: ProcessHold,
  seen: Observed,
): InstanceStatus {
  const live = isActive(m.current) && hold.isAttached;
  return encodeInstance(m, {
    stderr: seen.stderr,
    stderrSummary: seen.stderrSummary,
    kind: spec.kind,
    readySource: spec.ready?.check.kind ?? 'min_uptime',
    statusText: live ? seen.statusText : null,
    waiting: seen.waiting,
    startedAt: pidOf(m.current) === null ? null : hold.startedAt,
    tree: live ? (hold.tree.stats() ?? null) : null,
    logs: seen.logs,
    health: seen.health,
    watch: seen.watch,
    schedule: seen.schedule,
  });
}
