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
// A spawn error goes from starting to failed. Timers that do not apply to the current state are
// ignored, so a late timer can never move an instance.
import { formatExit, isTransientSpawnError, type ExitStatus, type SpawnFailure } from './exit.js';
import type { SignalName } from './signals.js';
import { isActive, pidOf } from './instance.js';
import type {
  ForcedStop,
  InstanceEvent,
  InstanceModel,
  InstanceState,
  StopIntent,
  TimerName,
  Transition,
} from './instance.js';
import { assertNever, backoffDelay, recordFailedStart, shouldRestart } from './policy.js';
import type { InstancePolicy } from './spec.js';

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
      return onRestart(m, now, p);
    case 'stop':
      return onStop(m, now, p);
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
    case 'adopted':
      return onAdopted(m, event, now, p);
    case 'resumed':
      if (s.state !== 'backoff') return unchanged(m);
      return {
        model: m,
        effects: [{ kind: 'set-timer', timer: 'backoff', delayMs: Math.max(0, s.restartAt - now) }],
      };
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

// A process from an earlier daemon resumes where that daemon left it; timers start afresh.
function onAdopted(
  m: InstanceModel,
  e: InstanceEvent & { type: 'adopted' },
  now: number,
  p: InstancePolicy,
): Transition {
  if (isActive(m.current)) return unchanged(m);
  const why = `adopted pid ${e.pid}`;
  switch (e.as) {
    case 'running': {
      const t = toRunning(m, e.pid, now, p, why);
      return {
        ...t,
        model: { ...t.model, current: { state: 'running', since: e.since, pid: e.pid } },
      };
    }
    case 'starting': {
      const t = afterSpawn(
        { ...m, current: { state: 'starting', since: e.since, pid: e.pid } },
        now,
        p,
      );
      return { ...t, effects: [{ kind: 'clear-timers' }, ...t.effects], reason: t.reason ?? why };
    }
    case 'stopping':
      return beginStop(m, e.pid, e.intent ?? { kind: 'stop' }, now, p, why);
    default:
      return assertNever(e.as);
  }
}

function onRestart(m: InstanceModel, now: number, p: InstancePolicy): Transition {
  const s = m.current;
  const pid = s.state === 'running' || s.state === 'starting' ? s.pid : null;
  if (pid !== null) {
    return beginStop(resetCounters(m), pid, { kind: 'restart' }, now, p, 'restart by user');
  }
  return onStart(m, now, p, 'restarted by user');
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

function onExited(
  m: InstanceModel,
  status: ExitStatus,
  now: number,
  p: InstancePolicy,
): Transition {
  const s = m.current;
  const withExit = { ...m, lastExit: status };
  switch (s.state) {
    case 'starting':
    case 'running': {
      const intent: StopIntent = {
        kind: 'exit',
        failedStart: s.state === 'starting',
        forced: null,
      };
      const current: InstanceState = {
        state: 'stopping',
        since: now,
        pid: null,
        intent,
        killSent: false,
      };
      // The rest of the tree (children the main process left) gets the stop signal too.
      return move(
        withExit,
        current,
        [
          { kind: 'signal-tree', signal: p.stopSignal },
          { kind: 'await-tree' },
          { kind: 'set-timer', timer: 'kill', delayMs: p.stopTimeoutMs },
        ],
        formatExit(status),
      );
    }
    case 'stopping':
      if (s.pid === null) return unchanged(m);
      return {
        model: { ...withExit, current: { ...s, pid: null } },
        effects: [{ kind: 'await-tree' }],
      };
    case 'stopped':
    case 'backoff':
    case 'failed':
    case 'exited':
      return unchanged(m);
    default:
      return assertNever(s);
  }
}

function onTimer(
  m: InstanceModel,
  timer: TimerName,
  now: number,
  p: InstancePolicy,
  lateMs: number,
): Transition {
  const s = m.current;
  if (timer === 'uptime' && s.state === 'starting' && s.pid !== null && p.ready === null) {
    return toRunning(m, s.pid, now, p, `up for min_uptime (${p.minUptimeMs}ms)`);
  }
  if (timer === 'ready-timeout' && s.state === 'starting' && s.pid !== null && p.ready !== null) {
    const intent: StopIntent = { kind: 'exit', failedStart: true, forced: 'ready-timeout' };
    return beginStop(m, s.pid, intent, now, p, `not ready within ${p.ready.timeoutMs}ms`);
  }
  if (timer === 'watchdog' && s.state === 'running' && p.watchdogMs !== null) {
    // The daemon could not look for longer than a period: the pings of that time may never have
    // reached it, and the service may have been frozen with it. A fresh period, not a kill.
    if (lateMs >= p.watchdogMs) {
      return {
        model: m,
        effects: [{ kind: 'set-timer', timer: 'watchdog', delayMs: p.watchdogMs }],
        reason: `daemon stalled ${lateMs}ms past the watchdog deadline: a fresh period of ${p.watchdogMs}ms`,
      };
    }
    const intent: StopIntent = { kind: 'exit', failedStart: false, forced: 'watchdog' };
    const why = `no WATCHDOG=1 for ${p.watchdogMs}ms`;
    return beginStop(m, s.pid, intent, now, p, why, WATCHDOG_SIGNAL);
  }
  if (timer === 'reset' && s.state === 'running') {
    return unchanged({ ...m, consecutiveFailures: 0, failedStarts: [] });
  }
  if (timer === 'backoff' && s.state === 'backoff') {
    return begin({ ...m, restarts: m.restarts + 1 }, now, `automatic restart #${m.restarts + 1}`);
  }
  if (timer === 'kill' && s.state === 'stopping') {
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
    // Still there KILL_GRACE_MS after SIGKILL (uninterruptible sleep): stop waiting.
    return afterTree(m, s.intent, now, p, 'processes survived SIGKILL; ');
  }
  return unchanged(m);
}

function afterSpawn(m: InstanceModel, now: number, p: InstancePolicy): Transition {
  const s = m.current;
  if (s.state !== 'starting' || s.pid === null) return unchanged(m);
  // With a readiness check, only the check (or its timeout) ends `starting`.
  if (p.ready !== null) {
    return {
      model: m,
      effects: [{ kind: 'set-timer', timer: 'ready-timeout', delayMs: p.ready.timeoutMs }],
    };
  }
  if (p.minUptimeMs === 0) return toRunning(m, s.pid, now, p, 'spawned (min_uptime 0)');
  return { model: m, effects: [{ kind: 'set-timer', timer: 'uptime', delayMs: p.minUptimeMs }] };
}

function toRunning(
  m: InstanceModel,
  pid: number,
  now: number,
  p: InstancePolicy,
  why: string,
): Transition {
  const watchdog: Transition['effects'] =
    p.watchdogMs === null ? [] : [{ kind: 'set-timer', timer: 'watchdog', delayMs: p.watchdogMs }];
  return move(
    m,
    { state: 'running', since: now, pid },
    [{ kind: 'set-timer', timer: 'reset', delayMs: p.backoff.resetAfterMs }, ...watchdog],
    why,
  );
}

// Where an instance goes once its whole tree is gone.
function afterTree(
  m: InstanceModel,
  intent: StopIntent,
  now: number,
  p: InstancePolicy,
  note = '',
): Transition {
  switch (intent.kind) {
    case 'stop':
      return move(
        m,
        { state: 'stopped', since: now, reason: 'stopped by user' },
        [],
        `${note}stopped`,
      );
    case 'restart':
      return begin(m, now, `${note}restarting`);
    case 'exit':
      return applyPolicy(m, intent, now, p, note);
    default:
      return assertNever(intent);
  }
}

function applyPolicy(
  m: InstanceModel,
  intent: StopIntent & { kind: 'exit' },
  now: number,
  p: InstancePolicy,
  note: string,
): Transition {
  const exit = m.lastExit;
  const status = exit !== null && !('spawnError' in exit) ? exit : { code: 0 };
  const forced = intent.forced === null ? '' : `${FORCED[intent.forced]}, `;
  const what = `${note}${forced}${formatExit(status)}`;
  // A forced stop is a failure however the process took its signal.
  const again = intent.forced === null ? shouldRestart(p.restart, status) : p.restart !== 'never';
  if (!again) return move(m, { state: 'exited', since: now }, [], `${what}; restart: ${p.restart}`);
  return retryLater(m, intent.failedStart, now, p, what);
}

const FORCED: Record<ForcedStop, string> = {
  'ready-timeout': 'not ready in time',
  watchdog: 'watchdog timeout',
};

// A restart is due: count a failed start against the start limit, then back off.
function retryLater(
  m: InstanceModel,
  failedStart: boolean,
  now: number,
  p: InstancePolicy,
  what: string,
): Transition {
  let next = m;
  if (failedStart) {
    const limit = recordFailedStart(p.startLimit, m.failedStarts, now);
    next = { ...m, failedStarts: limit.history };
    if (limit.exceeded) {
      const reason = {
        kind: 'start-limit',
        failedStarts: limit.history.length,
        intervalMs: p.startLimit.intervalMs,
        last: what,
      } as const;
      return move(
        next,
        { state: 'failed', since: now, reason },
        [],
        `${what}; start limit hit (${limit.history.length} failed starts in ${p.startLimit.intervalMs}ms)`,
      );
    }
  }
  const consecutiveFailures = next.consecutiveFailures + 1;
  const delayMs = backoffDelay(p.backoff, consecutiveFailures);
  // No delay: start again in this same step, without a timer's turn of the event loop.
  if (delayMs === 0) {
    const restarts = m.restarts + 1;
    const again = { ...next, consecutiveFailures, restarts };
    return begin(again, now, `${what}; automatic restart #${restarts} (backoff 0)`);
  }
  const current: InstanceState = {
    state: 'backoff',
    since: now,
    restartAt: now + delayMs,
    attempt: m.restarts + 1,
  };
  return move(
    { ...next, consecutiveFailures },
    current,
    [{ kind: 'set-timer', timer: 'backoff', delayMs }],
    `${what}; restart in ${delayMs}ms`,
  );
}

function beginStop(
  m: InstanceModel,
  pid: number,
  intent: StopIntent,
  now: number,
  p: InstancePolicy,
  why: string,
  signal: SignalName = p.stopSignal,
): Transition {
  return move(
    m,
    { state: 'stopping', since: now, pid, intent, killSent: false },
    [
      { kind: 'signal-tree', signal },
      { kind: 'set-timer', timer: 'kill', delayMs: p.stopTimeoutMs },
    ],
    `${why}: ${signal}`,
  );
}

function begin(m: InstanceModel, now: number, why: string): Transition {
  return move(m, { state: 'starting', since: now, pid: null }, [{ kind: 'spawn' }], why);
}

function resetCounters(m: InstanceModel): InstanceModel {
  return { ...m, restarts: 0, consecutiveFailures: 0, failedStarts: [] };
}

// A change of state: old timers go first, then the new state's effects.
function move(
  m: InstanceModel,
  current: InstanceState,
  effects: Transition['effects'],
  reason: string,
): Transition {
  return { model: { ...m, current }, effects: [{ kind: 'clear-timers' }, ...effects], reason };
}

function unchanged(m: InstanceModel): Transition {
  return { model: m, effects: [] };
}
