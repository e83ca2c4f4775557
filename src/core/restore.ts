// Taking an instance back as an earlier daemon left it (the `restored` event): the counters
// state.json recorded, then its process as the new daemon found it.
import {
  isActive,
  type ActiveState,
  type InstanceEvent,
  type InstanceModel,
  type InstanceState,
  type RecordedInstance,
  type Finding,
  type Transition,
} from './instance.js';
import { assertNever } from './policy.js';
import type { InstancePolicy } from './transition.js';
import { afterSpawn, beginStop, move, onExited, toRunning, unchanged } from './transition-steps.js';

/** How a restored instance was taken back. */
export type RestoreOutcome =
  /** Its main process runs and is watched again. */
  | 'adopted'
  /** Its main process was gone: it ended (status unknown) and its policy applies. */
  | 'lost'
  /** It had no process; its state was restored as it was. */
  | 'restored'
  /** Its process could not be identified or held: left alone, the instance is stopped. */
  | 'left-alone';

/** How an instance with `record` (null: none) whose process was `found` is taken back. */
export function restoreOutcome(record: RecordedInstance | null, found: Finding): RestoreOutcome {
  switch (found.kind) {
    case 'alive':
      return 'adopted';
    case 'gone':
      return 'lost';
    case 'held-elsewhere':
      return 'left-alone';
    case 'none':
      // Recorded in a state with a process, yet no process recorded or found: a spawn under way.
      return record !== null && isActive(record.current) ? 'left-alone' : 'restored';
    default:
      return assertNever(found);
  }
}

/**
 * The `restored` event: only from a state without a process. A process found alive resumes
 * where the earlier daemon left it (timers start afresh; a stop is signalled again); one gone
 * ended with an unknown status; a recorded state without a process is taken as it was.
 */
export function onRestored(
  m: InstanceModel,
  e: InstanceEvent & { type: 'restored' },
  now: number,
  p: InstancePolicy,
): Transition {
  if (isActive(m.current)) return unchanged(m);
  const r = e.record;
  const base: InstanceModel =
    r === null
      ? m
      : {
          ...m,
          restarts: r.restarts,
          consecutiveFailures: r.consecutiveFailures,
          failedStarts: r.failedStarts,
          lastExit: r.lastExit,
          runStartedAt: r.runStartedAt,
        };
  const found = e.found;
  switch (found.kind) {
    case 'alive':
      return adopt(base, found.pid, found.state, now, p);
    case 'gone':
      return onExited(
        { ...base, current: found.state },
        { unknown: 'ended while no daemon ran' },
        now,
        p,
      );
    case 'held-elsewhere':
      return leftAlone(
        base,
        found.since,
        `not adopted: pid ${found.pid} is held by another containment mode`,
      );
    case 'none':
      if (r === null) return unchanged(base);
      if (restoreOutcome(r, found) === 'left-alone') {
        const why = 'not adopted: its spawn was under way and no process of it was found';
        return leftAlone(base, r.current.since, why);
      }
      return resume(base, r.current, now);
    default:
      return assertNever(found);
  }
}

// A process of this instance runs again under this daemon, as `s` says (its `since` kept).
function adopt(
  m: InstanceModel,
  pid: number,
  s: ActiveState,
  now: number,
  p: InstancePolicy,
): Transition {
  const why = `adopted pid ${pid}`;
  switch (s.state) {
    case 'running': {
      return toRunning(m, pid, now, p, why, s.since);
    }
    case 'starting': {
      const t = afterSpawn({ ...m, current: { state: 'starting', since: s.since, pid } }, now, p);
      return { ...t, effects: [{ kind: 'clear-timers' }, ...t.effects], reason: t.reason ?? why };
    }
    case 'stopping':
      return beginStop(m, pid, s.intent, now, p, why);
    default:
      return assertNever(s);
  }
}

// The recorded state without a process, as it was; a due restart is armed for the time left.
function resume(m: InstanceModel, s: InstanceState, now: number): Transition {
  const effects: Transition['effects'] =
    s.state === 'backoff'
      ? [{ kind: 'set-timer', timer: 'backoff', delayMs: Math.max(0, s.restartAt - now) }]
      : [];
  return move(m, s, effects, `restored ${s.state} from state.json`);
}

function leftAlone(m: InstanceModel, since: number, reason: string): Transition {
  return move(m, { state: 'stopped', since, reason }, [], reason);
}
