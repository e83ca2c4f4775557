// Process-group containment's memory of who is whose. One pass over /proc attributes every live
// process to the instance tree it belongs to: its known members, its process group and session,
// orphans reparented to the daemon (the subreaper) that carry the tree's marker, and every
// descendant of those. The pass also runs on a timer while trees live, so that a process whose
// parent exits (a double fork that also calls setsid and clears its environment) is already
// known when it is reparented to the daemon: its lineage is in the daemon's own snapshots.
import { reaper } from '../exit/reaper.js';
import { environOf, INVOCATION_VAR } from './leftovers.js';
import { isDead, scanProcs, signalProcess, type ProcInfo } from './proc.js';

/** What the attribution needs of one tree (GroupTree). */
export interface AttributedTree {
  /** The main process, once spawned or adopted. */
  readonly main: { pid: number; startTime: number } | undefined;
  /** The tree's WARDEN_INVOCATION value ('' before its first spawn). */
  readonly marker: string;
  /** Taken back from an earlier daemon: its orphans went to init (pid 1), not to us. */
  readonly adopted: boolean;
  /** Members of the last pass, by pid: start time. */
  readonly known: ReadonlyMap<number, number>;
  /** Keeps `members`, found by a pass, as `known` for the next one. */
  remember(members: readonly ProcInfo[]): void;
}

/** One pass: every live process, and each tree's members among them. */
interface Pass {
  /** When it ran (ms since the epoch). */
  at: number;
  members: Map<AttributedTree, ProcInfo[]>;
  procs: ProcInfo[];
}

/** How often the pass runs while trees live (ms), and for a while after each spawn. */
const PASS_MS = 1000;
const EARLY_PASS_MS = 100;
/** How long after a spawn the pass runs at EARLY_PASS_MS (ms): when services usually fork. */
const EARLY_MS = 3000;
/** A pass younger than this is reused (ms): many trees asked in one moment share it. */
const FRESH_MS = 10;
/**
 * A pass costs time in the number of processes on the machine (a /proc read each: 150 ms for
 * 5,000, seconds on a loaded machine). So the timer waits at least this many times the last
 * pass's cost (once past the early passes after a spawn, which must see a double fork's parent
 * before it exits, and wait as long as the pass cost), and a pass is reused for as long as it
 * cost: scanning never takes all of the daemon's time (it made a `down` of 600 stop one instance
 * every 4 s). Reuse is safe: a pass that shows a tree empty was taken when none of its
 * processes lived, and a dead process forks nothing; a fork it missed is in the next one.
 */
const TIMER_COST_FACTOR = 10;

/** The attribution of one daemon's process-group trees. */
export class GroupAttribution {
  readonly #trees = new Set<AttributedTree>();
  #pass: Pass | undefined;
  /** WARDEN_INVOCATION of a process (by pid and start time): its initial environment is fixed. */
  readonly #markers = new Map<string, string | null>();
  #timer: NodeJS.Timeout | undefined;
  #earlyUntil = 0;
  /** What the last pass cost (ms). */
  #passMs = 0;
  /** Unattributed children of the daemon already reported (pid:startTime). */
  readonly #reported = new Set<string>();

  constructor(
    private readonly log: (line: string) => void = () => undefined,
    private readonly daemonPid = process.pid,
  ) {}

  /** Starts attributing `tree` (its main process was spawned or adopted). */
  watch(tree: AttributedTree): void {
    this.#trees.add(tree);
    this.#earlyUntil = Date.now() + EARLY_MS;
    // The last pass knows nothing of this spawn: the tree's next question takes a new one.
    this.#pass?.members.delete(tree);
    this.#arm();
  }

  /** Stops attributing `tree` (it is empty). */
  unwatch(tree: AttributedTree): void {
    this.#trees.delete(tree);
    if (this.#trees.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * The live members of `tree` now: from a pass at most FRESH_MS old, or as old as the last
   * pass's cost; a new one for a tree watched since.
   */
  membersOf(tree: AttributedTree): ProcInfo[] {
    const members = this.#run(Math.max(FRESH_MS, this.#passMs)).members.get(tree);
    return members ?? this.#run(0).members.get(tree) ?? [];
  }

  /**
   * SIGKILLs every live process the daemon cannot attribute to a tree: children of the daemon
   * (orphans reparented to it) that are no tree's, and their descendants, until none is left or
   * `patienceMs` passed. Called at shutdown, once every instance has stopped.
   * @returns the processes killed
   */
  async killUnattributed(patienceMs = 2000): Promise<ProcInfo[]> {
    const killed = new Map<string, ProcInfo>();
    const deadline = Date.now() + patienceMs;
    for (;;) {
      const strays = this.#unattributed(this.#run(0));
      if (strays.length === 0 || Date.now() > deadline) return [...killed.values()];
      for (const p of strays) {
        killed.set(`${p.pid}:${p.startTime}`, p);
        signalProcess(p.pid, p.startTime, 'SIGKILL');
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#trees.size === 0) return;
    const delay =
      Date.now() < this.#earlyUntil
        ? Math.max(EARLY_PASS_MS, this.#passMs)
        : Math.max(PASS_MS, TIMER_COST_FACTOR * this.#passMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#trees.size === 0) return;
      this.#report(this.#run(0));
      this.#arm();
    }, delay);
    this.#timer.unref();
  }

  // Tells once of each child of the daemon that no tree claims (it goes at `down`).
  #report(pass: Pass): void {
    for (const p of this.#unattributed(pass)) {
      const key = `${p.pid}:${p.startTime}`;
      if (this.#reported.has(key)) continue;
      if (this.#reported.size > 10_000) this.#reported.clear();
      this.#reported.add(key);
      this.log(
        `pid ${p.pid} (${p.comm}) was reparented to the daemon and cannot be attributed to an instance (process-group mode); it is killed at down`,
      );
    }
  }

  // Children of the daemon that belong to no tree and are not its own (`exec` readiness checks,
  // spawned through spawnTracked), with their descendants: orphans that came back to it.
  #unattributed(pass: Pass): ProcInfo[] {
    const owned = new Set<number>();
    for (const members of pass.members.values()) for (const p of members) owned.add(p.pid);
    const strays = new Set<number>();
    for (const p of pass.procs)
      if (p.ppid === this.daemonPid && !owned.has(p.pid) && !reaper.isOwned(p.pid))
        strays.add(p.pid);
    for (let grew = strays.size > 0; grew;) {
      grew = false;
      for (const p of pass.procs) {
        if (strays.has(p.pid) || !strays.has(p.ppid)) continue;
        strays.add(p.pid);
        grew = true;
      }
    }
    return pass.procs.filter((p) => strays.has(p.pid));
  }

  #run(maxAgeMs: number): Pass {
    const began = Date.now();
    if (this.#pass !== undefined && began - this.#pass.at <= maxAgeMs) return this.#pass;
    const procs = scanProcs().filter((p) => !isDead(p));
    const owner = this.#attribute(procs);
    const members = new Map<AttributedTree, ProcInfo[]>();
    for (const tree of this.#trees) members.set(tree, []);
    for (const p of procs) {
      const tree = owner.get(p.pid);
      if (tree !== undefined) members.get(tree)?.push(p);
    }
    for (const [tree, list] of members) tree.remember(list);
    // Its age counts from its end: a slow pass is still fresh for the calls that waited on it.
    const at = Date.now();
    this.#passMs = at - began;
    this.#pass = { at, members, procs };
    return this.#pass;
  }

  // Each live process's tree, in one pass: direct evidence first, then descent.
  #attribute(procs: readonly ProcInfo[]): Map<number, AttributedTree> {
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const known = new Map<number, AttributedTree>();
    const leaders = new Map<number, AttributedTree>();
    const markers = new Map<string, AttributedTree>();
    for (const tree of this.#trees) {
      const main = tree.main;
      if (main === undefined) continue;
      for (const [pid, startTime] of tree.known)
        if (byPid.get(pid)?.startTime === startTime) known.set(pid, tree);
      // The kernel does not hand out a pid still used as a group or session id, so processes in
      // group/session `main.pid` are ours, unless that pid now names another process.
      const leader = byPid.get(main.pid);
      if (leader === undefined || leader.startTime === main.startTime) leaders.set(main.pid, tree);
      if (tree.marker !== '') markers.set(tree.marker, tree);
    }
    const owner = new Map<number, AttributedTree>();
    const bornAfterMain = (p: ProcInfo, tree: AttributedTree): boolean =>
      tree.main !== undefined && p.startTime >= tree.main.startTime;
    for (const p of procs) {
      let tree = known.get(p.pid) ?? leaders.get(p.pgid) ?? leaders.get(p.sid);
      // Orphans come back to the daemon as subreaper (to init while no daemon ran); only the
      // marker says whose they were.
      if (tree === undefined && (p.ppid === this.daemonPid || p.ppid === 1)) {
        const found = markers.get(this.#markerOf(p) ?? '');
        if (found !== undefined && (p.ppid === this.daemonPid || found.adopted)) tree = found;
      }
      if (tree !== undefined && bornAfterMain(p, tree)) owner.set(p.pid, tree);
    }
    // Then every descendant of those, however it regrouped (each ancestry walked once).
    const none = new Set<number>();
    const resolve = (p: ProcInfo, depth: number): AttributedTree | undefined => {
      const own = owner.get(p.pid);
      if (own !== undefined || none.has(p.pid) || depth > 256) return own;
      const parent = byPid.get(p.ppid);
      const tree = parent === undefined ? undefined : resolve(parent, depth + 1);
      if (tree !== undefined && bornAfterMain(p, tree)) owner.set(p.pid, tree);
      else none.add(p.pid);
      return owner.get(p.pid);
    };
    for (const p of procs) resolve(p, 0);
    return owner;
  }

  #markerOf(p: ProcInfo): string | null {
    const key = `${p.pid}:${p.startTime}`;
    let marker = this.#markers.get(key);
    if (marker === undefined) {
      const value = environOf(p.pid, INVOCATION_VAR).get(INVOCATION_VAR);
      marker = value === undefined ? null : `${INVOCATION_VAR}=${value}`;
      if (this.#markers.size > 10_000) this.#markers.clear();
      this.#markers.set(key, marker);
    }
    return marker;
  }
}
