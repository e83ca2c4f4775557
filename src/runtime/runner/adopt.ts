// What a new daemon looks for to take an instance back: the process state.json recorded, if the
// system shows it is this home's, else any tree started for the instance (state.json may be
// stale). How the instance then stands is the core's `restored` event.
import type { Readable } from 'node:stream';
import type { ActiveState, Finding } from '../../core/instance.js';
import { isActive } from '../../core/instance.js';
import type { LeftoverTree } from '../../effects/containment/leftovers.js';
import type { Stream } from '../../logs/format.js';
import type { ProcessRecord } from '../../effects/containment/leftovers.js';
import type { InstanceRecord } from '../instance-record.js';
import { recordOf, type Leftovers } from '../leftovers.js';
import type { ProcessHold } from './hold.js';
import type { ProcessLayer } from './options.js';

/** The exit status of an adopted process, which is not the daemon's child. */
const ADOPTED = 'adopted: not a child of this daemon';

/** What was seen of an instance's process: one to hold again, or a finding already. */
export type Sighting =
  | { kind: 'seen'; process: ProcessRecord; state: ActiveState }
  | Extract<Finding, { kind: 'gone' | 'none' }>;

/**
 * Looks for the process of instance `index` of `service` recorded as `rec`, taking what it
 * uses from `found`: the recorded process if it is there, else any tree started for the
 * instance. A recorded process that is not found ended while no daemon ran; state.json alone
 * adopts nothing.
 */
export function lookFor(
  rec: InstanceRecord,
  found: Leftovers,
  service: string,
  index: number,
): Sighting {
  const s = rec.current;
  const p = rec.process;
  const recorded = p === null ? undefined : found.takeRecorded(p);
  if (recorded !== undefined && p !== null && isActive(s)) {
    return { kind: 'seen', process: p, state: s };
  }
  const tree = recorded ?? found.takeFor(service, index);
  if (tree !== undefined) return seen(tree);
  // No process recorded: its state alone (the core tells a spawn under way from the rest).
  if (!isActive(s) || p === null) return { kind: 'none' };
  // Gone (or never provably this home's): it ended while no daemon ran.
  return { kind: 'gone', state: s };
}

/** A tree an earlier daemon started for instance `index` of `service`, if `found` holds one. */
export function lookForTree(found: Leftovers, service: string, index: number): Sighting {
  const tree = found.takeFor(service, index);
  return tree === undefined ? { kind: 'none' } : seen(tree);
}

// A leftover tree found without a record of its state: its process runs, so it is running.
function seen(t: LeftoverTree): Sighting {
  return {
    kind: 'seen',
    process: recordOf(t),
    state: { state: 'running', since: t.startedAt, pid: t.pid },
  };
}

/** What a runner lends the taking back of its instance's process. */
export interface AdoptionHost {
  processes: ProcessLayer;
  hold: ProcessHold;
  /** The held main process `pid` ended; `why` its status is unknown (not the daemon's child). */
  onExit: (pid: number, why: string) => void;
  /** Readies the probe before the output is read (a `ready.log` check reads every line). */
  followProbe: () => void;
  /** Reads an output pipe of the process into the log. */
  read: (pipe: Readable | undefined, stream: Stream) => void;
  onError: (message: string) => void;
}

/**
 * Holds a process seen for the instance again: its tree adopted, its exit watched, its output
 * read. @returns what was found, for the core's `restored` event
 */
export function holdAgain(sighting: Sighting, host: AdoptionHost): Finding {
  if (sighting.kind !== 'seen') return sighting;
  const { process: p, state } = sighting;
  const { hold, processes } = host;
  if (!hold.tree.adopt(p.pid, p.startTime, p.tree)) {
    return { kind: 'held-elsewhere', pid: p.pid, since: state.since };
  }
  hold.heldAgain(p);
  const alive = processes.startTimeOf?.(p.pid) === p.startTime;
  const watch = alive
    ? processes.watchExit?.(p.pid, p.startTime, () => host.onExit(p.pid, ADOPTED))
    : undefined;
  if (watch === undefined) return { kind: 'gone', state };
  hold.watching(watch);
  host.followProbe();
  if (p.pipes !== null) {
    const pipes = processes.reopenOutput?.(p.pid, p.pipes);
    host.read(pipes?.stdout, 'out');
    host.read(pipes?.stderr, 'err');
    if (pipes?.stdout === undefined || pipes.stderr === undefined)
      host.onError(`output of pid ${p.pid} not found in /proc; it is not captured`);
  }
  return { kind: 'alive', pid: p.pid, state };
}
