// An instance contained without cgroups: its process group and session, every descendant in
// /proc, orphans reparented to the daemon (the subreaper) that carry the instance's invocation
// marker, and processes the daemon's own snapshots saw in the tree before their parent left
// (group-attribution.ts). Processes are signalled one by one through pidfds.
import type { SignalName } from '../../core/signals.js';
import type { InstanceTree, TreeIdentity, TreeStats } from './containment.js';
import type { AttributedTree, GroupAttribution } from './group-attribution.js';
import { INVOCATION_VAR, invocationValue } from './leftovers.js';
import { isDead, readProc, type ProcInfo } from './proc.js';
import { SignalLedger } from './signal-ledger.js';
import { TreeMeter } from './tree-meter.js';
import type { SpawnRequest } from '../spawn/spawn.js';
import type { CgroupStarter } from './cgroup/cgroup-start.js';

/** The tree of one instance in process-group mode. */
export class GroupTree implements InstanceTree, AttributedTree {
  #main: { pid: number; startTime: number } | undefined;
  #marker = '';
  #known = new Map<number, number>();
  /** What the passes (and the spawn) found: members, the sums of their RSS and CPU time. */
  readonly #meter = new TreeMeter();
  #adopted = false;
  readonly #ledger = new SignalLedger();

  /**
   * @param homeId names the daemon's home in the markers (leftovers.ts)
   * @param attribution the daemon's attribution of processes to its group trees
   * @param starter starts the spawns with privileges (warden-spawner, outside any cgroup); the
   * others are posix_spawn'd by the daemon
   */
  constructor(
    private readonly homeId: string,
    private readonly attribution: GroupAttribution,
    private readonly starter?: CgroupStarter,
  ) {}

  get main(): { pid: number; startTime: number } | undefined {
    return this.#main;
  }

  get marker(): string {
    return this.#marker;
  }

  get known(): ReadonlyMap<number, number> {
    return this.#known;
  }

  get adopted(): boolean {
    return this.#adopted;
  }

  remember(members: readonly ProcInfo[]): void {
    this.#known = new Map(members.map((p) => [p.pid, p.startTime]));
    this.#read(members);
  }

  // The figures of `members`, as a pass (or the spawn) found them: sums over the tree.
  #read(members: readonly ProcInfo[]): void {
    let memoryBytes = 0;
    let cpuSeconds = 0;
    for (const p of members) {
      memoryBytes += p.rssBytes;
      cpuSeconds += p.cpuSeconds;
    }
    this.#meter.read(Date.now(), { pids: members.length, memoryBytes, cpuSeconds, pressure: null });
  }

  prepare(req: SpawnRequest, spawnedAs: string): SpawnRequest {
    const value = invocationValue(this.homeId, spawnedAs);
    this.#marker = `${INVOCATION_VAR}=${value}`;
    const env = { ...req.env, [INVOCATION_VAR]: value };
    const needsStarter = req.privileges !== undefined || req.rlimits !== undefined;
    if (!needsStarter || this.starter === undefined) return { ...req, env };
    return { ...req, env, cgroup: { path: null, starter: this.starter } };
  }

  attach(pid: number): void {
    const info = readProc(pid);
    const startTime = info?.startTime ?? 0;
    this.#main = { pid, startTime };
    this.#known = new Map([[pid, startTime]]);
    this.#meter.begin(Date.now());
    this.#read(info === undefined ? [] : [info]);
    this.#adopted = false;
    this.#ledger.reset();
    this.attribution.watch(this);
  }

  identity(): TreeIdentity | undefined {
    return this.#marker === '' ? undefined : { marker: this.#marker };
  }

  adopt(pid: number, startTime: number, identity: TreeIdentity): boolean {
    if (!('marker' in identity)) return false;
    this.#marker = identity.marker;
    this.#main = { pid, startTime };
    this.#known = new Map([[pid, startTime]]);
    this.#meter.forget();
    this.#read([readProc(pid)].flatMap((p) => p ?? []));
    this.#adopted = true;
    this.#ledger.reset();
    this.attribution.watch(this);
    return true;
  }

  signal(signal: SignalName): boolean {
    const main = this.main;
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
    return this.main === undefined ? [] : this.attribution.membersOf(this);
  }

  contains(pid: number): boolean {
    return this.members().some((p) => p.pid === pid);
  }

  // As the attribution's last pass found the tree: it runs while trees live (every second, more
  // often after a spawn) and reads every process's /proc/PID/stat anyway. A read per member and
  // status request would cost about as much again (0.1 ms a read on a loaded machine).
  stats(): TreeStats | undefined {
    return this.main === undefined ? undefined : this.#meter.last;
  }

  release(): void {
    this.#known.clear();
    this.attribution.unwatch(this);
  }

  #leaderAlive(): boolean {
    const main = this.main;
    if (main === undefined) return false;
    const now = readProc(main.pid);
    return now !== undefined && now.startTime === main.startTime && !isDead(now);
  }
}
