// Counters that must only rise (Prometheus counters), kept from the instances' state changes:
// the model's `restarts` starts again at 0 on a user's start, and `lastExit` holds only the last
// exit. Also the time from spawn to `running` of each start, for the readiness histogram.
import { isSignalExit, isSpawnFailure, isUnknownExit, type LastExit } from '../core/exit.js';
import type { StateName } from '../core/instance.js';
import type { ObservedInstance } from './source.js';

/**
 * Why an instance's process ended, as `warden_instance_exits_total{reason}` tells it: `oom` for
 * the kernel's OOM kill in its cgroup (config `limits.memory`), `signal` for any other signal.
 */
export type ExitReason =
  | 'exit'
  | 'signal'
  | 'oom'
  | 'stop'
  | 'watchdog'
  | 'health'
  | 'ready_timeout'
  | 'spawn_error'
  | 'unknown';

interface Seen {
  restartsTotal: number;
  lastRestarts: number;
  lastExit: LastExit | null;
  exits: Map<ExitReason, number>;
  /** Why warden was stopping it, when it was: the next exit is counted under that reason. */
  stopping: ExitReason | null;
  lastState: StateName;
}

/** The counters of every instance, fed by `observe` on each state change and at each scrape. */
export class InstanceCounters {
  readonly #seen = new Map<string, Seen>();
  readonly #onReady: (instance: ObservedInstance, seconds: number) => void;

  /** `onReady` gets each start's time from spawn to `running` (seconds). */
  constructor(onReady: (instance: ObservedInstance, seconds: number) => void) {
    this.#onReady = onReady;
  }

  /**
   * Takes in what changed in `inst` since it was last observed. An instance seen for the first
   * time starts from its model's counts (restarts since the last user start, no exit counted).
   */
  observe(inst: ObservedInstance): void {
    const m = inst.model;
    const cur = m.current;
    let s = this.#seen.get(inst.name);
    if (s === undefined) {
      s = {
        restartsTotal: m.restarts,
        lastRestarts: m.restarts,
        lastExit: m.lastExit,
        exits: new Map(),
        stopping: null,
        lastState: cur.state,
      };
      this.#seen.set(inst.name, s);
      return;
    }
    if (m.restarts > s.lastRestarts) s.restartsTotal += m.restarts - s.lastRestarts;
    s.lastRestarts = m.restarts;
    if (cur.state === 'stopping') {
      const intent = cur.intent;
      s.stopping =
        intent.kind !== 'exit'
          ? 'stop'
          : intent.forced === 'watchdog' || intent.forced === 'health'
            ? intent.forced
            : intent.forced === 'ready-timeout'
              ? 'ready_timeout'
              : null;
    }
    if (m.lastExit !== null && m.lastExit !== s.lastExit) {
      const reason = s.stopping ?? reasonOf(m.lastExit);
      s.exits.set(reason, (s.exits.get(reason) ?? 0) + 1);
      s.stopping = null;
    }
    s.lastExit = m.lastExit;
    if (cur.state === 'running' && s.lastState === 'starting') {
      const startedAt = inst.status().startedAt;
      if (startedAt !== null) this.#onReady(inst, Math.max(0, cur.since - startedAt) / 1000);
    }
    if (cur.state === 'starting') s.stopping = null;
    s.lastState = cur.state;
  }

  /** Automatic restarts of `name` since it was first observed, plus those its model had then. */
  restarts(name: string): number {
    return this.#seen.get(name)?.restartsTotal ?? 0;
  }

  /** Exits of `name` by reason, since it was first observed. */
  exits(name: string): ReadonlyMap<ExitReason, number> {
    return this.#seen.get(name)?.exits ?? new Map();
  }

  /** Forgets the instances not in `names` (removed from the config). */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.#seen.keys()) if (!names.has(name)) this.#seen.delete(name);
  }
}

function reasonOf(exit: LastExit): ExitReason {
  if (isSpawnFailure(exit)) return 'spawn_error';
  if (isUnknownExit(exit)) return 'unknown';
  if (isSignalExit(exit)) return exit.oom === true ? 'oom' : 'signal';
  return 'exit';
}
