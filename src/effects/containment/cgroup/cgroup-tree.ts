// An instance contained in its own leaf cgroup, which it is started in (cgroup-start.ts), so not
// even an immediate grandchild escapes.
import { join } from 'node:path';
import type { SpawnFailure } from '../../../core/exit.js';
import type { SignalName } from '../../../core/signals.js';
import { existsSync } from 'node:fs';
import { CgroupLeaf } from './cgroup.js';
import type { CgroupStarter } from './cgroup-start.js';
import { INVOCATION_VAR, invocationValue } from '../leftovers.js';
import type { InstanceTree, TreeIdentity, TreeStats } from '../containment.js';
import { SignalLedger } from '../signal-ledger.js';
import { readProc, type ProcInfo } from '../proc.js';
import type { SpawnRequest } from '../../spawn/spawn.js';
import { cgroupLimitKeys, NO_LIMITS } from '../../../config/limits.js';
import { errnoOf } from '../../ffi/errno.js';
import { TreeMeter } from '../tree-meter.js';
import { cpuUsageSeconds, memoryPeak, pressure } from './cgroup-figures.js';
import { oomKills, writeLimits } from './cgroup-limits.js';

/** How often the kernel updates PSI averages (ms; PSI_FREQ in kernel/sched/psi.c). */
const PSI_PERIOD_MS = 2000;

/** A leaf cgroup name for an instance name (`web:1` -> `web@1`). */
export function leafName(instance: string): string {
  return instance.replace(/:/g, '@');
}

/** The tree of one instance in cgroup mode. */
export class CgroupTree implements InstanceTree {
  /** The leaf of the current tree: our own, or an adopted one an earlier daemon made. */
  #leaf: CgroupLeaf;
  readonly #ledger = new SignalLedger();

  #own: CgroupLeaf;
  readonly #path: string;
  readonly #meter = new TreeMeter();
  /** cpu.stat of our own leaf when its current run began (s): the leaf outlives runs. */
  #cpuBase = 0;
  /** False once a read found no memory.peak, or no PSI, here: not asked again (see memoryCurrent). */
  #hasPeak = true;
  #hasPressure = true;
  /** The last PSI read, reused for PSI_PERIOD_MS: the kernel updates `avg10` that often. */
  #pressure: { at: number; value: TreeStats['pressure'] } | undefined;
  /** Limits were written to the leaf: the next start without them writes `max` back. */
  #isLimited = false;
  /** memory.events `oom_kill` at the last start. */
  #oomBase = 0;

  /**
   * `starter` starts the instance in its leaf (the containment's one); `homeId` names the
   * daemon's home in the markers (leftovers.ts); `enforcesMemory`: the leaves have the memory
   * controller (else `limits.memory` is polled by the runner and memory.max left alone).
   */
  constructor(
    base: string,
    instance: string,
    private readonly starter: CgroupStarter,
    private readonly homeId = '',
    readonly enforcesMemory = true,
  ) {
    this.#path = join(base, leafName(instance));
    this.#own = new CgroupLeaf(this.#path);
    this.#leaf = this.#own;
  }

  prepare(req: SpawnRequest, spawnedAs = ''): SpawnRequest | SpawnFailure {
    if (this.#leaf !== this.#own) this.#leaf.remove();
    // Our tree is empty before a spawn: processes in the leaf are someone else's (left by a
    // daemon whose state.json was unusable). Never share a leaf with them: take another.
    for (let n = 2; this.#own.isPopulated(); n++) {
      this.#own = new CgroupLeaf(`${this.#path}~${n}`);
      this.#cpuBase = 0;
    }
    // A leaf that cgroup.kill emptied kills what is cloned into it (CgroupStarter): make it anew.
    if (this.starter.takeKilled(this.#own.path)) {
      this.#own.remove();
      for (let n = 2; existsSync(this.#own.path); n++)
        this.#own = new CgroupLeaf(`${this.#path}~${n}`);
      this.#cpuBase = 0;
    }
    this.#leaf = this.#own;
    try {
      this.#leaf.create();
    } catch (error) {
      const code = errnoOf(error) ?? 'EIO';
      return {
        spawnError: code,
        path: this.#leaf.path,
        message: `cannot create cgroup ${this.#leaf.path}: ${code}`,
      };
    }
    // Without the memory controller, memory is polled (MemoryPoll), not written here.
    const given = req.limits ?? NO_LIMITS;
    const limits = this.enforcesMemory ? given : { ...given, memoryBytes: null };
    const limited = cgroupLimitKeys(limits).length > 0;
    if (limited || this.#isLimited) {
      const error = writeLimits(this.#leaf.path, limits);
      if (error !== undefined)
        return { spawnError: 'EINVAL', path: this.#leaf.path, message: error };
      this.#isLimited = limited;
    }
    this.#oomBase = limited ? oomKills(this.#leaf.path) : 0;
    // The leaf says whose the processes are; the marker also says what they were started from.
    const marker = invocationValue(this.homeId, spawnedAs);
    const cgroup = { path: this.#leaf.path, starter: this.starter };
    return { ...req, cgroup, env: { ...req.env, [INVOCATION_VAR]: marker } };
  }

  attach(): void {
    // The process started inside the leaf; only the signal bookkeeping and the figures start afresh.
    this.#ledger.reset();
    this.#meter.begin(Date.now());
  }

  signal(signal: SignalName): boolean {
    if (signal === 'SIGKILL') {
      const populated = this.#leaf.isPopulated();
      this.starter.kill(this.#leaf.path);
      return populated;
    }
    return this.#ledger.signalAll(signal, this.members());
  }

  sweep(): void {
    this.#ledger.sweep(this.members());
  }

  isEmpty(): boolean {
    return !this.#leaf.isPopulated();
  }

  members(): ProcInfo[] {
    return this.#leaf.procs().flatMap((pid) => readProc(pid) ?? []);
  }

  contains(pid: number): boolean {
    return this.#leaf.procs().includes(pid);
  }

  // Read at each call (status, ps), a read per figure at most: where the memory controller is on,
  // cgroup.procs and the leaf's memory and CPU files; where it is off, the members' /proc/PID/stat
  // must be read for their RSS, and their CPU times are summed from the same reads instead of one
  // more file (status of 1000 instances stays within its budget, docs/benchmarks.md).
  stats(): TreeStats | undefined {
    const leaf = this.#leaf;
    const current = leaf.memoryCurrent();
    const members = current === undefined ? this.members() : undefined;
    const usage = members === undefined ? cpuUsageSeconds(leaf.path) : undefined;
    const base = leaf === this.#own ? this.#cpuBase : 0;
    const peak = this.#hasPeak && current !== undefined ? memoryPeak(leaf.path) : undefined;
    if (peak === undefined) this.#hasPeak = false;
    const now = Date.now();
    return this.#meter.read(now, {
      pids: members?.length ?? leaf.procs().length,
      memoryBytes: current ?? sum(members ?? [], (p) => p.rssBytes),
      cpuSeconds:
        usage === undefined
          ? sum(members ?? this.members(), (p) => p.cpuSeconds)
          : Math.max(0, usage - base),
      ...(peak === undefined ? {} : { peakMemoryBytes: peak }),
      pressure: this.#readPressure(leaf, now),
    });
  }

  #readPressure(leaf: CgroupLeaf, now: number): TreeStats['pressure'] {
    if (!this.#hasPressure) return null;
    const kept = this.#pressure;
    if (kept !== undefined && now - kept.at < PSI_PERIOD_MS) return kept.value;
    const value = pressure(leaf.path) ?? null;
    if (value === null) this.#hasPressure = false;
    this.#pressure = { at: now, value };
    return value;
  }

  oomKilled(): boolean {
    return this.#isLimited && oomKills(this.#leaf.path) > this.#oomBase;
  }

  release(): void {
    // Our own leaf stays for the next start (a cgroup's rmdir and mkdir cost about 1 ms of a
    // restart); Containment.close removes it. An adopted one from an earlier daemon goes.
    if (this.#leaf !== this.#own && !this.#leaf.isPopulated()) this.#leaf.remove();
    // Empty now: what its cpu.stat says is what the next run of the same leaf starts from.
    else if (this.#leaf === this.#own) this.#cpuBase = cpuUsageSeconds(this.#own.path) ?? 0;
  }

  identity(): TreeIdentity {
    return { cgroup: this.#leaf.path };
  }

  adopt(_pid: number, _startTime: number, identity: TreeIdentity): boolean {
    if (!('cgroup' in identity)) return false;
    this.#leaf = identity.cgroup === this.#own.path ? this.#own : new CgroupLeaf(identity.cgroup);
    this.#ledger.reset();
    // Its CPU time counts from the leaf's making: when its run began is not known.
    this.#cpuBase = 0;
    this.#meter.forget();
    return true;
  }
}

function sum(members: readonly ProcInfo[], of: (p: ProcInfo) => number): number {
  let total = 0;
  for (const p of members) total += of(p);
  return total;
}
