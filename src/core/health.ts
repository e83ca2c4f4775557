// `health`: liveness probes of a running instance (docs/config/health.md). The runtime runs the
// probes and reports each as a `health` event; the count of consecutive failures lives in the
// `running` state, so that a restart, a stop or any other state starts it again from zero. At
// the threshold the instance is stopped as a forced failure (as a watchdog timeout): the
// restart policy, the backoff and (for a short run) the start limit apply.
import type {
  HealthFailing,
  InstanceModel,
  InstanceState,
  StopIntent,
  Transition,
} from './instance.js';
import type { InstancePolicy } from './spec.js';
import { beginStop, isShortRun, unchanged } from './transition-steps.js';

/** A health probe of `m` settled at `now` (ms): `error` null when it passed, else why it failed. */
export function onHealth(
  m: InstanceModel,
  error: string | null,
  now: number,
  p: InstancePolicy,
): Transition {
  const s = m.current;
  // A probe that settles after the run it was for ended says nothing of the current one.
  if (s.state !== 'running' || p.health === null) return unchanged(m);
  if (error === null) {
    if (s.health === undefined) return unchanged(m);
    const current: InstanceState = { state: 'running', since: s.since, pid: s.pid };
    const reason = `health check passed again after ${s.health.failures} failed`;
    return { model: { ...m, current }, effects: [], reason };
  }
  // Docker's --start-period: a slow start is no failure yet.
  if (now - s.since < p.health.startPeriodMs) return unchanged(m);
  const failures = (s.health?.failures ?? 0) + 1;
  const threshold = p.health.failures;
  if (failures < threshold) {
    const health: HealthFailing = { failures, error };
    const reason = `health: failing (${failures}/${threshold}): ${error}`;
    return { model: { ...m, current: { ...s, health } }, effects: [], reason };
  }
  const intent: StopIntent = { kind: 'exit', failedStart: isShortRun(s, now, p), forced: 'health' };
  return beginStop(m, s.pid, intent, now, p, healthFailedReason(failures, error));
}

/** `health check failed 3 times: connect ECONNREFUSED`: why the health check restarted an instance. */
export function healthFailedReason(failures: number, error: string): string {
  return `health check failed ${failures} ${failures === 1 ? 'time' : 'times'}: ${error}`;
}

/** The `health` of an instance in `status --json` (docs/cli/status.md). */
export interface HealthStatus {
  /** `ok`: the last probe passed (or none ran yet); `failing`: below the threshold; `off`: not running, no probes. */
  state: 'ok' | 'failing' | 'off';
  /** Consecutive failed probes of the current run. */
  failures: number;
  /** `health.failures`: the count that restarts the instance. */
  threshold: number;
  /** Why the last probe failed while failing; else null. */
  lastError: string | null;
  /** The last restart the health check caused since a user's start: when (ms since the epoch) and why. */
  lastRestart: { at: number; reason: string } | null;
}

/** The health status of `m` under `p`; null for a service without `health`. */
export function healthStatus(
  m: InstanceModel,
  p: InstancePolicy,
  lastRestart: HealthStatus['lastRestart'],
): HealthStatus | null {
  if (p.health === null) return null;
  const s = m.current;
  const failing = s.state === 'running' ? s.health : undefined;
  return {
    state: s.state !== 'running' ? 'off' : failing === undefined ? 'ok' : 'failing',
    failures: failing?.failures ?? 0,
    threshold: p.health.failures,
    lastError: failing?.error ?? null,
    lastRestart,
  };
}
