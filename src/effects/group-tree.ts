// An instance contained without cgroups: its process group and session, every descendant in
// /proc, and orphans reparented to the daemon (the subreaper) that carry the instance's
// invocation marker in their environment. Processes are signalled one by one through pidfds.
import { randomBytes } from 'node:crypto';
import type { SignalName } from '../core/signals.js';
import type { InstanceTree, TreeIdentity, TreeStats } from './containment.js';
import { SignalLedger } from './signal-ledger.js';
import { environHas, isDead, readProc, scanProcs, type ProcInfo } from './proc.js';
import type { SpawnRequest } from './spawn.js';

/** The environment variable that marks every process of one spawn (inherited unless scrubbed). */
export const INVOCATION_VAR = 'WARDEN_INVOCATION';

// Many trees polled in the same moment share one /proc scan.
let snapshot: { at: number; procs: ProcInfo[] } | undefined;
function recentProcs(maxAgeMs = 10): ProcInfo[] {
  const now = Date.now();
  if (snapshot === undefined || now - snapshot.at > maxAgeMs)
    snapshot = { at: now, procs: scanProcs() };
  return snapshot.procs;
}

// A process's initial environment never changes: read each (pid, start time) once.
const markers = new Map<string, boolean>();
function carries(p: ProcInfo, marker: string): boolean {
  const key = `${p.pid}:${p.startTime}:${marker}`;
  let has = markers.get(key);
  if (has === undefined) {
    has = environHas(p.pid, marker);
    if (markers.size > 10_000) markers.clear();
    markers.set(key, has);
  }
  return has;
}

/** The tree of one instance in process-group mode. */
export class GroupTree implements InstanceTree {
  #main: { pid: number; startTime: number } | undefined;
  #marker = '';
  #known = new Map<number, number>();
  /** Taken back from an earlier daemon: its orphans were reparented to init, not to us. */
  #adopted = false;
  readonly #ledger = new SignalLedger();

  prepare(req: SpawnRequest): SpawnRequest {
    const id = randomBytes(8).toString('hex');
    this.#marker = `${INVOCATION_VAR}=${id}`;
    return { ...req, env: { ...req.env, [INVOCATION_VAR]: id } };
  }

  attach(pid: number): void {
    const startTime = readProc(pid)?.startTime ?? 0;
    this.#main = { pid, startTime };
    this.#known = new Map([[pid, startTime]]);
    this.#adopted = false;
    this.#ledger.reset();
  }

  identity(): TreeIdentity | undefined {
    return this.#marker === '' ? undefined : { marker: this.#marker };
  }

  adopt(pid: number, startTime: number, identity: TreeIdentity): boolean {
    if (!('marker' in identity)) return false;
    this.#marker = identity.marker;
    this.#main = { pid, startTime };
    this.#known = new Map([[pid, startTime]]);
    this.#adopted = true;
    this.#ledger.reset();
    return true;
  }

  signal(signal: SignalName): boolean {
    const main = this.#main;
    if (main === undefined) return false;
    let any = false;
    // While its leader lives the group id is surely ours: one kill(2) reaches it atomically.
    if (this.#leaderAlive()) {
      try {
        process.kill(-main.pid, signal);
        any = true;
      } catch {
        // ESRCH: it just went.
      }
    }
    return this.#ledger.signalAll(signal, this.members()) || any;
  }

  sweep(): void {
    this.#ledger.sweep(this.members());
  }

  isEmpty(): boolean {
    return !this.#leaderAlive() && this.members().length === 0;
  }

  members(): ProcInfo[] {
    const main = this.#main;
    if (main === undefined) return [];
    const live = recentProcs().filter((p) => !isDead(p) && p.startTime >= main.startTime);
    const daemon = process.pid;
    const inTree = new Set<number>();
    // The kernel does not hand out a pid still used as a group or session id, so processes in
    // group/session `main.pid` are ours, unless that pid now names another process: then the
    // group and session are that process's, and ours has no member left.
    const leader = live.find((p) => p.pid === main.pid);
    const isOurs = leader === undefined || leader.startTime === main.startTime;
    for (const p of live) {
      const known = this.#known.get(p.pid) === p.startTime;
      const kin = isOurs && (p.pgid === main.pid || p.sid === main.pid);
      // Orphans come back to the daemon as subreaper (to init, while no daemon ran); only the
      // marker says whose they were.
      const orphan = p.ppid === daemon || (this.#adopted && p.ppid === 1);
      if (known || kin || (orphan && carries(p, this.#marker))) inTree.add(p.pid);
    }
    // Then every descendant of those, however it regrouped.
    for (let grew = true; grew;) {
      grew = false;
      for (const p of live) {
        if (inTree.has(p.pid) || !inTree.has(p.ppid)) continue;
        inTree.add(p.pid);
        grew = true;
      }
    }
    const members = live.filter((p) => inTree.has(p.pid));
    this.#known = new Map(members.map((p) => [p.pid, p.startTime]));
    return members;
  }

  contains(pid: number): boolean {
    return this.members().some((p) => p.pid === pid);
  }

  stats(): TreeStats | undefined {
    return undefined; // a /proc scan per status request costs too much with many instances
  }

  release(): void {
    this.#known.clear();
  }

  #leaderAlive(): boolean {
    const main = this.#main;
    if (main === undefined) return false;
    const now = readProc(main.pid);
    return now !== undefined && now.startTime === main.startTime && !isDead(now);
  }
}
