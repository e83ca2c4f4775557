// An instance contained without cgroups: its process group and session, every descendant in
// /proc, and orphans reparented to the daemon (the subreaper) that carry the instance's
// invocation marker in their environment. Processes are signalled one by one through pidfds.
import { randomBytes } from 'node:crypto';
import type { SignalName } from '../core/signals.js';
import type { InstanceTree, TreeStats } from './containment.js';
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
    this.#ledger.reset();
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
    for (const p of live) {
      const known = this.#known.get(p.pid) === p.startTime;
      const kin = p.pgid === main.pid || p.sid === main.pid;
      // Orphans come back to the daemon as subreaper; only the marker says whose they were.
      if (known || kin || (p.ppid === daemon && carries(p, this.#marker))) inTree.add(p.pid);
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
