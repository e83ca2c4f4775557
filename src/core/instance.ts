// The life of one service instance as data: its state (a tagged union), the events that move it
// and the effects it asks of the runtime. The transition function is in transition.ts.
import type { ExitStatus, LastExit, SpawnFailure } from './exit.js';
import type { SignalName } from './signals.js';

/** Why an instance is `stopping`, which decides where it goes once its process tree is gone. */
export type StopIntent =
  /** The user asked for a stop: go to `stopped`. */
  | { kind: 'stop' }
  /** The user asked for a restart: start again at once. */
  | { kind: 'restart' }
  /**
   * The main process ended by itself, or warden ended it (`forced`): apply the restart policy.
   * `failedStart`: its run was short, it ended before it had been `running` for
   * `backoff.reset_after` (or never was), so a restart counts toward the start limit. A forced
   * stop counts as a failure whatever the exit status.
   */
  | { kind: 'exit'; failedStart: boolean; forced: ForcedStop | null }
  /**
   * `runtime_max` elapsed in `running`: start again at once, an automatic restart that is no
   * failure (systemd's `RuntimeMaxSec=`); `exited` with `restart: never`.
   */
  | { kind: 'runtime-max' };

/** Why warden itself ended an instance that had not asked to end. */
export type ForcedStop =
  /** `ready.timeout` elapsed in `starting`. */
  | 'ready-timeout'
  /** No `WATCHDOG=1` for `watchdog` in `running`. */
  | 'watchdog'
  /** The tree's memory, polled (process-group mode), went past `limits.memory`. */
  | 'memory-limit'
  /** `health.failures` consecutive health probes failed in `running`. */
  | 'health'
  /** `runtime_max` elapsed for a task: it failed (a service is restarted instead). */
  | 'runtime-max';

/** Every ForcedStop, for tests that must cover each one (a new one is added here or fails to compile). */
export const FORCED_STOPS = Object.keys({
  'ready-timeout': true,
  watchdog: true,
  'memory-limit': true,
  health: true,
  'runtime-max': true,
} satisfies Record<ForcedStop, true>) as ForcedStop[];

/** Why an instance gave up. */
export type FailReason =
  /** More than burst failed starts; `last` says how the last one ended (`exit 1`, `not ready in time, SIGTERM`). */
  | { kind: 'start-limit'; failedStarts: number; intervalMs: number; last: string }
  | { kind: 'spawn-error'; error: SpawnFailure }
  /** A task ended other than by exit 0 and its restart policy says no more; `last`: `exit 1`. */
  | { kind: 'task-failed'; last: string };

/**
 * The state of an instance (DESIGN.md section 2). Each variant carries only what is valid in it.
 * All times are ms since the epoch.
 */
export type InstanceState =
  | { state: 'stopped'; since: number; reason: string }
  /** Spawned, not yet ready. `pid` is null only until the OS has returned one. */
  | { state: 'starting'; since: number; pid: number | null }
  /** `health`: the health probes failing now (absent: the last one passed, or none ran yet). */
  | { state: 'running'; since: number; pid: number; health?: HealthFailing }
  /** Stop signal sent (or main process gone); waiting until the whole tree has exited. */
  | { state: 'stopping'; since: number; pid: number | null; intent: StopIntent; killSent: boolean }
  | { state: 'backoff'; since: number; restartAt: number; attempt: number }
  | { state: 'failed'; since: number; reason: FailReason }
  | { state: 'exited'; since: number };

/** Consecutive failed health probes of a running instance, below the threshold, and the last error. */
export interface HealthFailing {
  failures: number;
  /** Why the last probe failed (`connect ECONNREFUSED`, `HTTP 503`, `no success within 5000ms`). */
  error: string;
}

/** The name of an instance state. */
export type StateName = InstanceState['state'];

/** Every state, in the order of docs/states.md; a state added above fails to compile here. */
export const STATE_NAMES = Object.keys({
  stopped: true,
  starting: true,
  running: true,
  stopping: true,
  backoff: true,
  failed: true,
  exited: true,
} satisfies Record<StateName, true>) as readonly StateName[];

/** Timers an instance may have pending; at most one of each. */
export type TimerName =
  /** In `starting`: `min_uptime` elapsed, so the instance counts as running. */
  | 'uptime'
  /** In `backoff`: time for the next automatic start. */
  | 'backoff'
  /** In `stopping`: `stop_timeout` elapsed, escalate to SIGKILL. */
  | 'kill'
  /** In `running`: `reset_after` of continuous running, so the backoff resets. */
  | 'reset'
  /** In `starting` with a readiness check: `ready.timeout` elapsed. */
  | 'ready-timeout'
  /** In `running` with `watchdog`: no `WATCHDOG=1` for that long. */
  | 'watchdog'
  /** In `running` with `runtime_max`: it has run that long, so it is restarted. */
  | 'runtime-max';

/** Every TimerName, for tests that must cover each one (a new one is added here or fails to compile). */
export const TIMER_NAMES = Object.keys({
  uptime: true,
  backoff: true,
  kill: true,
  reset: true,
  'ready-timeout': true,
  watchdog: true,
  'runtime-max': true,
} satisfies Record<TimerName, true>) as TimerName[];

/** A state with a process, as an earlier daemon may have left an instance. */
export type ActiveState = Extract<InstanceState, { state: 'starting' | 'running' | 'stopping' }>;

/** What state.json recorded of an instance, its process aside. */
export type RecordedInstance = Pick<
  InstanceModel,
  'current' | 'restarts' | 'consecutiveFailures' | 'failedStarts' | 'lastExit' | 'runStartedAt'
>;

/**
 * What a new daemon found of an instance's process (state.json's record, or a tree of this home
 * seen in /proc). `state` is how the instance stood: recorded, or `running` for a tree found
 * without a record.
 */
export type Finding =
  /** Its main process `pid` runs, held and watched again. */
  | { kind: 'alive'; pid: number; state: ActiveState }
  /** Its main process ended while no daemon ran (not found, or gone before it was watched). */
  | { kind: 'gone'; state: ActiveState }
  /** Its process `pid` is held by another containment mode, so it cannot be taken back. */
  | { kind: 'held-elsewhere'; pid: number; since: number }
  /** No process: none recorded, none found. */
  | { kind: 'none' };

/** Something that happened to an instance. `at` is the time it happened (ms since the epoch). */
export type InstanceEvent =
  /** A start; `reason` says who asked when it is not the user (`dependencies ready`). */
  | { type: 'start'; reason?: string }
  | { type: 'stop' }
  /**
   * Stop at once: SIGKILL to the tree without waiting for `stop_timeout` (the daemon's
   * `shutdown_timeout` elapsed); ends `stopped` like a stop.
   */
  | { type: 'kill' }
  /** A restart; `reason` says who asked when it is not the user (`files changed`). */
  | { type: 'restart'; reason?: string }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; error: SpawnFailure }
  /** Main process `pid` was forked but could not exec its program (it ended, exit 127). */
  | { type: 'exec-failed'; pid: number; error: SpawnFailure }
  /** The main process ended. */
  | { type: 'exited'; status: ExitStatus }
  /** No process of the instance's tree is left. */
  | { type: 'tree-gone' }
  /** The readiness check passed; `source` says which (`notify`, `tcp`...). */
  | { type: 'ready'; source: string }
  /** A `WATCHDOG=1` keep-alive. */
  | { type: 'watchdog-ping' }
  /** A health probe (config `health`) settled: `error` null when it passed, else why it failed. */
  | { type: 'health'; error: string | null }
  /**
   * The tree's memory (`bytes`, polled in process-group mode) is over `limitBytes`
   * (`limits.memory`): the instance is stopped and restarted as a failure.
   */
  | { type: 'memory-exceeded'; bytes: number; limitBytes: number }
  /**
   * The instance is taken back as an earlier daemon left it: its counters and state from
   * state.json (`record`; null: a tree found without a record, counters kept) and how its
   * process was `found`. Only from a state without a process; see restore.ts.
   */
  | { type: 'restored'; record: RecordedInstance | null; found: Finding }
  /** Kept from starting (a dependency not ready, or failed): stays `stopped` with `reason`. */
  | { type: 'hold'; reason: string }
  /**
   * A timer fired, `lateMs` after it was due (0 or absent: on time). Late by more than a
   * period, a watchdog timer tells of a stalled daemon (SIGSTOP, a suspended machine), not of a
   * silent service.
   */
  | { type: 'timer'; timer: TimerName; lateMs?: number };

/** Every event type, for tests that must cover each one (a new one is added here or fails to compile). */
export const EVENT_TYPES = Object.keys({
  start: true,
  stop: true,
  kill: true,
  restart: true,
  spawned: true,
  'spawn-failed': true,
  'exec-failed': true,
  exited: true,
  'tree-gone': true,
  ready: true,
  'watchdog-ping': true,
  health: true,
  'memory-exceeded': true,
  restored: true,
  hold: true,
  timer: true,
} satisfies Record<InstanceEvent['type'], true>) as InstanceEvent['type'][];

/** Something the runtime must do for an instance. */
export type Effect =
  /** Spawn the instance's main process; answer with `spawned` or `spawn-failed`. */
  | { kind: 'spawn' }
  /** Send `signal` to every process of the instance's tree. */
  | { kind: 'signal-tree'; signal: SignalName }
  /** Watch the tree (main process gone) and answer with `tree-gone` once it is empty. */
  | { kind: 'await-tree' }
  /** Arm `timer` to fire after `delayMs`, replacing one of the same name. */
  | { kind: 'set-timer'; timer: TimerName; delayMs: number }
  /** Disarm every pending timer of the instance. */
  | { kind: 'clear-timers' };

/** Everything the core knows about one instance. */
export interface InstanceModel {
  /** `web` for a single-instance service, `web:0`, `web:1` for several. */
  name: string;
  service: string;
  index: number;
  current: InstanceState;
  /** Automatic restarts since the last start asked for by a user. */
  restarts: number;
  /** Failures since the backoff last reset; drives the backoff delay. */
  consecutiveFailures: number;
  /**
   * Times (ms) of failed starts (runs that ended before `backoff.reset_after` of `running`)
   * inside the start-limit window.
   */
  failedStarts: number[];
  lastExit: LastExit | null;
  /**
   * When the last run began (it entered `starting`, ms since the epoch); null before any. With
   * the `since` of `exited` or `failed` it gives how long the run lasted (a task's duration).
   */
  runStartedAt: number | null;
}

/** The result of one transition: the new model, what to do, and a reason for the log. */
export interface Transition {
  model: InstanceModel;
  effects: Effect[];
  /** A short phrase for logs and events when the state changed, e.g. `exit 1; restart in 200ms`. */
  reason?: string;
  /**
   * True when warden stopped waiting for a tree that outlived SIGKILL by KILL_GRACE_MS (state D):
   * its processes still run, and the runtime says which they are.
   */
  gaveUpOnTree?: true;
}

/** A fresh instance in `stopped`, never started. */
export function newInstance(
  service: string,
  index: number,
  count: number,
  now: number,
): InstanceModel {
  return {
    name: instanceName(service, index, count),
    service,
    index,
    current: { state: 'stopped', since: now, reason: 'never started' },
    restarts: 0,
    consecutiveFailures: 0,
    failedStarts: [],
    lastExit: null,
    runStartedAt: null,
  };
}

/** `web` when the service has one instance, `web:INDEX` when it has several. */
export function instanceName(service: string, index: number, count: number): string {
  return count === 1 ? service : `${service}:${index}`;
}

/** The pid of the instance's main process, when it has one. */
export function pidOf(state: InstanceState): number | null {
  switch (state.state) {
    case 'starting':
    case 'running':
    case 'stopping':
      return state.pid;
    default:
      return null;
  }
}

/** True when some process of the instance may be alive (the runtime must not forget it). */
export function isActive(state: InstanceState): state is ActiveState {
  return state.state === 'starting' || state.state === 'running' || state.state === 'stopping';
}
