// The instance state machine: a pure, total function (state x event -> state + effects).
//
//            start                 spawned + min_uptime
//  stopped ────────▶ starting ─────────────────────────▶ running
//  exited  ◀─┐          │ main exits / stop                 │ main exits / stop
//  failed  ◀─┤          ▼                                    ▼
//            │      stopping (signal tree, SIGKILL after stop_timeout) ◀──┘
//            │          │ tree gone
//            │          ├─ intent stop ─────▶ stopped
//            │          ├─ intent restart ──▶ starting
//            └──────────┴─ intent exit ─────▶ policy: exited | backoff ──timer──▶ starting
//                                                     | failed (start limit)
// The start limit counts every restart whose run did not last reset_after in running.
// runtime_max elapsed in running stops the tree and starts again at once (runtime-max.ts).
// `health` probes in running: failures below the threshold keep it running (counted in the
// state), the threshold stops it as a failure, like the watchdog (health.ts).
// A spawn error goes from starting to failed. Timers that do not apply to the current state are
// ignored, so a late timer can never move an instance. The moves that several events share are
// in transition-steps.ts; taking an instance back (`restored`) is in restore.ts.
import { formatBytes, formatExit, isTransientSpawnError, type SpawnFailure } from './exit.js';
import { pidOf } from './instance.js';
import type {
  InstanceEvent,
  InstanceModel,
  InstanceState,
  StopIntent,
  TimerName,
  Transition,
} from './instance.js';
import { assertNever } from './policy.js';
import { onHealth } from './health.js';
import { onKill } from './kill.js';
import { onRestored } from './restore.js';
import {
  afterSpawn,
  afterTree,
  begin,
  beginStop,
  isShortRun,
  move,
  onExited,
  resetCounters,
  retryLater,
  toRunning,
  unchanged,
} from './transition-steps.js';
import type { InstancePolicy } from './spec.js';
import { runtimeMaxReason } from './runtime-max.js';

/**
 * How long to wait, after SIGKILL, for the tree to be gone before giving up on it (ms). Only a
 * process in uninterruptible sleep (state D) outlives SIGKILL for long.
 */
export const KILL_GRACE_MS = 5000;

export type { InstancePolicy } from './spec.js';

/** The signal a watchdog timeout sends, as systemd's `WatchdogSignal=` default: a core dump helps. */
export const WATCHDOG_SIGNAL = 'SIGABRT';

/**
 * Applies `event`, which happened at `now` (ms since the epoch), to instance `m`.
 * Never throws; an event that means nothing in the current state leaves the model unchanged.
 */
export function transition(
  m: InstanceModel,
  event: InstanceEvent,
  now: number,
  p: InstancePolicy,
): Transition {
  const s = m.current;
  switch (event.type) {
    case 'start':
      return onStart(m, now, p, event.reason ?? 'started by user');
    case 'restart':
      return onRestart(m, now, p, event.reason);
    case 'stop':
      return onStop(m, now, p);
    case 'kill':
      return onKill(m, now, KILL_GRACE_MS);
    case 'spawned':
      if (s.state === 'starting' && s.pid === null) {
        return afterSpawn({ ...m, current: { ...s, pid: event.pid } }, now, p);
      }
      // Stopped while its spawn was under way: nobody wants this process, so stop it too.
      if (s.state === 'stopped')
        return beginStop(m, event.pid, { kind: 'stop' }, now, p, 'spawned after a stop');
      return unchanged(m);
    case 'spawn-failed':
      if (s.state !== 'starting') return unchanged({ ...m, lastExit: event.error });
      return onSpawnFailed(m, event.error, now, p);
    case 'exec-failed': {
      if (pidOf(s) !== event.pid) return unchanged(m);
      if (s.state !== 'stopping') return onSpawnFailed(m, event.error, now, p);
      // Stopped meanwhile: it ended as any process does (exit 127), but the truth is kept.
      const t = onExited(m, { code: 127 }, now, p);
      return { ...t, model: { ...t.model, lastExit: event.error } };
    }
    case 'exited':
      return onExited(m, event.status, now, p);
    case 'tree-gone':
      if (s.state !== 'stopping' || s.pid !== null) return unchanged(m);
      return afterTree(m, s.intent, now, p);
    case 'timer':
      return onTimer(m, event.timer, now, p, event.lateMs ?? 0);
    case 'ready':
      if (s.state !== 'starting' || s.pid === null) return unchanged(m);
      return toRunning(m, s.pid, now, p, `ready (${event.source})`);
    case 'hold':
      if (s.state !== 'stopped' && s.state !== 'exited' && s.state !== 'failed')
        return unchanged(m);
      if (s.state === 'stopped' && s.reason === event.reason) return unchanged(m);
      return move(m, { state: 'stopped', since: now, reason: event.reason }, [], event.reason);
    case 'restored':
      return onRestored(m, event, now, p);
    case 'health':
      return onHealth(m, event.error, now, p);
    case 'memory-exceeded':
      return onMemoryExceeded(m, event.bytes, event.limitBytes, now, p);
    case 'watchdog-ping':
      if (s.state !== 'running' || p.watchdogMs === null) return unchanged(m);
      return {
        model: m,
        effects: [{ kind: 'set-timer', timer: 'watchdog', delayMs: p.watchdogMs }],
      };
    default:
      return assertNever(event);
  }
}

function onStart(m: InstanceModel, now: number, p: InstancePolicy, why: string): Transition {
  const s = m.current;
  switch (s.state) {
    case 'starting':
    case 'running':
      return unchanged(m);
    case 'stopping':
      return unchanged({ ...resetCounters(m), current: { ...s, intent: { kind: 'restart' } } });
    case 'stopped':
    case 'exited':
    case 'failed':
    case 'backoff':
      return begin(resetCounters(m), now, why);
    default:
      return assertNever(s);
  }
}

function onRestart(
  m: InstanceModel,
  now: number,
  p: InstancePolicy,
  reason: string | undefined,
): Transition {
  const s = m.current;
  const pid = s.state === 'running' || s.state === 'starting' ? s.pid : null;
  if (pid !== null) {
    const why = `restart ${reason === undefined ? 'by user' : `(${reason})`}`;
    return beginStop(resetCounters(m), pid, { kind: 'restart' }, now, p, why);
  }
  return onStart(m, now, p, reason === undefined ? 'restarted by user' : `restarted (${reason})`);
}

function onStop(m: InstanceModel, now: number, p: InstancePolicy): Transition {
  const s = m.current;
  const stopped: InstanceState = { state: 'stopped', since: now, reason: 'stopped by user' };
  switch (s.state) {
    case 'starting':
      // pid null: the spawn has not returned; its failure, if any, is still recorded later.
      if (s.pid === null) return move(m, stopped, [], 'stopped by user');
      return beginStop(m, s.pid, { kind: 'stop' }, now, p, 'stop by user');
    case 'running':
      return beginStop(m, s.pid, { kind: 'stop' }, now, p, 'stop by user');
    case 'stopping':
      return unchanged({ ...m, current: { ...s, intent: { kind: 'stop' } } });
    case 'backoff':
    case 'failed':
    case 'exited':
      return move(m, stopped, [], 'stopped by user');
    case 'stopped':
      return unchanged(m);
    default:
      return assertNever(s);
  }
}

// The program could not be started: a spawn failure, or an exec that failed after the fork.
function onSpawnFailed(
  m: InstanceModel,
  lastExit: SpawnFailure,
  now: number,
  p: InstancePolicy,
): Transition {
  // EMFILE, EAGAIN...: the system, not the service, is short; try again later.
  if (isTransientSpawnError(lastExit.spawnError) && p.restart !== 'never') {
    return retryLater({ ...m, lastExit }, true, now, p, formatExit(lastExit));
  }
  const reason = { kind: 'spawn-error', error: lastExit } as const;
  return move(
    { ...m, lastExit },
    { state: 'failed', since: now, reason },
    [],
    formatExit(lastExit),
  );
}

// A timer of `m` fired; one that does not apply to the current state changes nothing.
function onTimer(
  m: InstanceModel,
  timer: TimerName,
  now: number,
  p: InstancePolicy,
  lateMs: number,
): Transition {
  const s = m.current;
  switch (timer) {
    case 'uptime':
      if (s.state !== 'starting' || s.pid === null || p.ready !== null) return unchanged(m);
      return toRunning(m, s.pid, now, p, `up for min_uptime (${p.minUptimeMs}ms)`);
    case 'ready-timeout': {
      if (s.state !== 'starting' || s.pid === null || p.ready === null) return unchanged(m);
      const intent: StopIntent = { kind: 'exit', failedStart: true, forced: 'ready-timeout' };
      return beginStop(m, s.pid, intent, now, p, `not ready within ${p.ready.timeoutMs}ms`);
    }
    case 'watchdog':
      if (s.state !== 'running' || p.watchdogMs === null) return unchanged(m);
      return onWatchdogTimeout(m, s.pid, now, p.watchdogMs, p, lateMs);
    case 'reset':
      if (s.state !== 'running') return unchanged(m);
      return unchanged({ ...m, consecutiveFailures: 0, failedStarts: [] });
    case 'backoff':
      if (s.state !== 'backoff') return unchanged(m);
      return begin({ ...m, restarts: m.restarts + 1 }, now, `automatic restart #${m.restarts + 1}`);
    case 'kill':
      if (s.state !== 'stopping') return unchanged(m);
      return onKillTimer(m, s, now, p);
    case 'runtime-max': {
      if (s.state !== 'running' || p.runtimeMaxMs === null) return unchanged(m);
      // A task past its time limit failed (systemd: a oneshot past RuntimeMaxSec= fails).
      const intent: StopIntent =
        p.kind === 'task'
          ? { kind: 'exit', failedStart: false, forced: 'runtime-max' }
          : { kind: 'runtime-max' };
      return beginStop(m, s.pid, intent, now, p, runtimeMaxReason(p));
    }
    default:
      return assertNever(timer);
  }
}

function onWatchdogTimeout(
  m: InstanceModel,
  pid: number,
  now: number,
  periodMs: number,
  p: InstancePolicy,
  lateMs: number,
): Transition {
  // The daemon could not look for longer than a period: the pings of that time may never have
  // reached it, and the service may have been frozen with it. A fresh period, not a kill.
  if (lateMs >= periodMs) {
    return {
      model: m,
      effects: [{ kind: 'set-timer', timer: 'watchdog', delayMs: periodMs }],
      reason: `daemon stalled ${lateMs}ms past the watchdog deadline: a fresh period of ${periodMs}ms`,
    };
  }
  const failedStart = isShortRun(m.current, now, p);
  const intent: StopIntent = { kind: 'exit', failedStart, forced: 'watchdog' };
  const why = `no WATCHDOG=1 for ${periodMs}ms`;
  return beginStop(m, pid, intent, now, p, why, WATCHDOG_SIGNAL);
}

// The polled memory of a live instance went past its limit: stopped, then restarted as a failure.
function onMemoryExceeded(
  m: InstanceModel,
  bytes: number,
  limitBytes: number,
  now: number,
  p: InstancePolicy,
): Transition {
  const s = m.current;
  if ((s.state !== 'starting' && s.state !== 'running') || s.pid === null) return unchanged(m);
  const intent: StopIntent = {
    kind: 'exit',
    failedStart: isShortRun(s, now, p),
    forced: 'memory-limit',
  };
  const why = `memory limit (polled): ${formatBytes(bytes)} over ${formatBytes(limitBytes)}`;
  return beginStop(m, s.pid, intent, now, p, why);
}

// stop_timeout elapsed: SIGKILL; KILL_GRACE_MS after that, stop waiting for the tree.
function onKillTimer(
  m: InstanceModel,
  s: InstanceState & { state: 'stopping' },
  now: number,
  p: InstancePolicy,
): Transition {
  if (!s.killSent) {
    const current: InstanceState = { ...s, killSent: true };
    return {
      model: { ...m, current },
      effects: [
        { kind: 'signal-tree', signal: 'SIGKILL' },
        { kind: 'set-timer', timer: 'kill', delayMs: KILL_GRACE_MS },
      ],
      reason: `stop_timeout (${p.stopTimeoutMs}ms) elapsed: SIGKILL`,
    };
  }
  // Still there KILL_GRACE_MS after SIGKILL (uninterruptible sleep): the runtime names the
  // survivors, and the instance moves on without them.
  const t = afterTree(m, s.intent, now, p, 'processes survived SIGKILL; ');
  return { ...t, gaveUpOnTree: true };
}
