// The moves of the instance state machine that several events share: how an instance begins,
// stops, becomes running, ends and backs off. The table of events is in transition.ts.
import { formatExit, type ExitStatus } from './exit.js';
import { isSuccess } from './task.js';
import type { SignalName } from './signals.js';
import type {
  ForcedStop,
  InstanceModel,
  InstanceState,
  StopIntent,
  Transition,
} from './instance.js';
import { assertNever, backoffDelay, recordFailedStart, shouldRestart } from './policy.js';
import { afterRuntimeMax, runtimeMaxTimer } from './runtime-max.js';
import type { InstancePolicy } from './transition.js';

/** The main process ended with `status`: the rest of its tree is stopped, then the policy applies. */
export function onExited(
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
      const failedStart = isShortRun(s, now, p);
      const intent: StopIntent = { kind: 'exit', failedStart, forced: null };
      const current: InstanceState = {
        state: 'stopping',
        since: now,
        pid: null,
        intent,
        killSent: false,
      };
      // The rest of the tree (children the main process left) gets the stop signal too.
      return move(
        failedStart ? withExit : settled(withExit),
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

/**
 * True when the run of `s` ended (at `now`, ms) before it lasted `backoff.reset_after` in
 * `running`: still `starting`, or `running` for less. Such an end counts toward the start limit
 * (systemd counts every start, PM2 every run shorter than `min_uptime`), so a loop of runs that
 * reach `running` and die soon after ends `failed` too.
 */
export function isShortRun(s: InstanceState, now: number, p: InstancePolicy): boolean {
  return s.state !== 'running' || now - s.since < p.backoff.resetAfterMs;
}

// A run that lasted reset_after resets the backoff and the start limit, as the `reset` timer
// does: also when the exit comes before that timer's turn.
function settled(m: InstanceModel): InstanceModel {
  return { ...m, consecutiveFailures: 0, failedStarts: [] };
}

/** The main process has a pid: wait for the readiness check, or for `min_uptime`. */
export function afterSpawn(m: InstanceModel, now: number, p: InstancePolicy): Transition {
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

/**
 * Moves to `running` with main process `pid`, arming the backoff reset, the watchdog and
 * runtime_max (for the time left since `since`: an adopted instance has run already).
 */
export function toRunning(
  m: InstanceModel,
  pid: number,
  now: number,
  p: InstancePolicy,
  why: string,
  since = now,
): Transition {
  const watchdog: Transition['effects'] =
    p.watchdogMs === null ? [] : [{ kind: 'set-timer', timer: 'watchdog', delayMs: p.watchdogMs }];
  return move(
    m,
    { state: 'running', since, pid },
    [
      { kind: 'set-timer', timer: 'reset', delayMs: p.backoff.resetAfterMs },
      ...watchdog,
      ...runtimeMaxTimer(p, since, now),
    ],
    why,
  );
}

/** Where an instance goes once its whole tree is gone; `note` prefixes the reason. */
export function afterTree(
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
    case 'runtime-max':
      return afterRuntimeMax(m, now, p, note);
    default:
      return assertNever(intent);
  }
}

/** The restart policy after an exit (or a forced stop): `exited`, or a restart via retryLater. */
export function applyPolicy(
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
  const isTask = p.kind === 'task';
  // A task's exit 0 is its success, however short the run (min_uptime is no test of a task).
  if (isTask && intent.forced === null && isSuccess(status)) {
    return move(m, { state: 'exited', since: now }, [], `${what}; task done`);
  }
  // A forced stop is a failure however the process took its signal; so is a task's other end.
  const isFailure = intent.forced !== null || isTask;
  const again =
    p.onExit !== 'shutdown' &&
    (isFailure ? p.restart !== 'never' : shouldRestart(p.restart, status));
  const policy = p.onExit === 'shutdown' ? 'on_exit: shutdown' : `restart: ${p.restart}`;
  if (again) return retryLater(m, intent.failedStart, now, p, what);
  if (isTask) {
    const reason = { kind: 'task-failed', last: what } as const;
    return move(m, { state: 'failed', since: now, reason }, [], `${what}; task failed; ${policy}`);
  }
  return move(m, { state: 'exited', since: now }, [], `${what}; ${policy}`);
}

const FORCED: Record<ForcedStop, string> = {
  'ready-timeout': 'not ready in time',
  watchdog: 'watchdog timeout',
  'memory-limit': 'memory limit (polled)',
  health: 'health check failed',
  'runtime-max': 'runtime_max reached',
};

/** A restart is due: counts a failed start against the start limit, then backs off. */
export function retryLater(
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

/** Sends the stop `signal` to the tree of main process `pid` and arms the SIGKILL timer. */
export function beginStop(
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

/** Moves to `starting` and asks for a spawn. */
export function begin(m: InstanceModel, now: number, why: string): Transition {
  const started = { ...m, runStartedAt: now };
  return move(started, { state: 'starting', since: now, pid: null }, [{ kind: 'spawn' }], why);
}

/** Forgets the restart history (a start asked for by a user). */
export function resetCounters(m: InstanceModel): InstanceModel {
  return { ...m, restarts: 0, consecutiveFailures: 0, failedStarts: [] };
}

/** A change of state: old timers go first, then the new state's effects. */
export function move(
  m: InstanceModel,
  current: InstanceState,
  effects: Transition['effects'],
  reason: string,
): Transition {
  return { model: { ...m, current }, effects: [{ kind: 'clear-timers' }, ...effects], reason };
}

/** No change of state and nothing to do (the model may carry new counters). */
export function unchanged(m: InstanceModel): Transition {
  return { model: m, effects: [] };
}
