// process-compose's probes (readiness_probe, liveness_probe: exec or http_get, with
// initial_delay_seconds, period_seconds, timeout_seconds, failure_threshold) as warden's `ready`
// and `health`.
import { durationOf } from './model.js';

type Raw = Record<string, unknown>;
type Note = (key: string, value: unknown, action: string, why: string) => void;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const seconds = (value: unknown, fallback: number) =>
  (typeof value === 'number' ? value : fallback) * 1000;

/** A readiness_probe as warden's `ready`; undefined without an exec or http_get. */
export function readyOf(probe: Raw, note: Note): Raw | undefined {
  const check = checkOf(probe);
  if (check === undefined) return undefined;
  const ready: Raw = { ...check };
  const period = seconds(probe.period_seconds, 10);
  ready.interval = durationOf(period);
  const budget =
    seconds(probe.initial_delay_seconds, 0) +
    period * (typeof probe.failure_threshold === 'number' ? probe.failure_threshold : 3);
  ready.timeout = durationOf(Math.max(budget, 1000));
  note(
    'readiness_probe',
    probe,
    `written as ready with interval ${durationOf(period)} and timeout ${durationOf(budget)}`,
    'warden tries the check every interval until it passes or the timeout (initial_delay + period x failure_threshold) runs out; success_threshold and timeout_seconds have no equivalent',
  );
  return ready;
}

// The probe's check: `{exec: CMD}` or `{http: URL}`.
function checkOf(probe: Raw): Raw | undefined {
  const exec = isRecord(probe.exec) ? probe.exec : undefined;
  const http = isRecord(probe.http_get) ? probe.http_get : undefined;
  if (exec !== undefined) return { exec: String(exec.command) };
  if (http === undefined) return undefined;
  const scheme = typeof http.scheme === 'string' ? http.scheme : 'http';
  const host = typeof http.host === 'string' ? http.host : '127.0.0.1';
  const path = typeof http.path === 'string' ? http.path : '/';
  return {
    http: `${scheme}://${host}:${String(http.port)}${path.startsWith('/') ? path : `/${path}`}`,
  };
}

/**
 * A liveness_probe as warden's `health`: the same check every period_seconds, cut at
 * timeout_seconds (process-compose's default 1 s), failure_threshold failures in a row restart
 * it, none counted during initial_delay_seconds. undefined without an exec or http_get.
 */
export function healthOf(probe: Raw, note: Note): Raw | undefined {
  const check = checkOf(probe);
  if (check === undefined) return undefined;
  const health: Raw = {
    ...check,
    interval: durationOf(seconds(probe.period_seconds, 10)),
    timeout: durationOf(seconds(probe.timeout_seconds, 1)),
    failures: typeof probe.failure_threshold === 'number' ? probe.failure_threshold : 3,
  };
  const delay = seconds(probe.initial_delay_seconds, 0);
  if (delay > 0) health.start_period = durationOf(delay);
  if (probe.success_threshold !== undefined)
    note(
      'liveness_probe.success_threshold',
      probe.success_threshold,
      'not translated',
      'one passed probe resets the failures under warden',
    );
  return health;
}
