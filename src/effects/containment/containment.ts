// Containment: how warden keeps hold of an instance's whole process tree, however its processes
// detach. cgroup v2 where usable, else process group + session + /proc descendants.
import { createHash } from 'node:crypto';
import type { SpawnFailure } from '../../core/exit.js';
import type { SignalName } from '../../core/signals.js';
import type { TreeFigures } from '../../core/status.js';
import { detectCgroup, removeCgroupTree, type CgroupBase } from './cgroup/cgroup.js';
import { enterOwnLeaf, leaveOwnLeaf, type OwnLeaf } from './cgroup/own-leaf.js';
import { enableControllers, type LimitController } from './cgroup/cgroup-limits.js';
import { dirname } from 'node:path';
import { CgroupTree } from './cgroup/cgroup-tree.js';
import { GroupAttribution } from './group-attribution.js';
import { GroupTree } from './group-tree.js';
import { cgroupLeftovers, groupLeftovers, type LeftoverTree } from './leftovers.js';
import { CgroupStarter } from './cgroup/cgroup-start.js';
import type { ProcInfo } from './proc.js';
import type { SpawnRequest } from '../spawn/spawn.js';

/** The containment modes, as `status --json` shows them in `daemon.containment`. */
export type ContainmentMode = 'cgroup' | 'process-group';

/** The figures of a tree: CPU, memory, processes (core/status.ts). */
export type TreeStats = TreeFigures;

/**
 * What a later daemon needs to take a tree back (state.json): its leaf cgroup, or the
 * WARDEN_INVOCATION marker (`WARDEN_INVOCATION=ID`) its processes carry.
 */
export type TreeIdentity = { cgroup: string } | { marker: string };

/** The process tree of one instance, across its restarts. */
export interface InstanceTree {
  /**
   * Readies a spawn: the request to run so the process starts inside the tree (and carries the
   * marker naming this home and `spawnedAs`, the definition's spawnIdentity), or why not.
   */
  prepare(req: SpawnRequest, spawnedAs: string): SpawnRequest | SpawnFailure;
  /** The main process has been spawned as `pid`. */
  attach(pid: number): void;
  /** Sends `signal` to every live process of the tree. @returns false when none is left */
  signal(signal: SignalName): boolean;
  /**
   * Sends the last signal given to `signal` to members that appeared since (forked after it),
   * never twice to the same process. Called while waiting for the tree to empty.
   */
  sweep(): void;
  /** True once no live process of the tree is left (zombies do not count). */
  isEmpty(): boolean;
  /** The tree's live processes now. */
  members(): ProcInfo[];
  /** True when the live process `pid` belongs to the tree (to accept its sd_notify messages). */
  contains(pid: number): boolean;
  /** The figures of the tree, from cheap reads only; undefined before its first spawn. */
  stats(): TreeStats | undefined;
  /**
   * True when the kernel's OOM killer killed a process of the tree since its last `prepare`
   * (cgroup memory.events `oom_kill` grew); absent where it cannot tell (process groups).
   */
  oomKilled?(): boolean;
  /**
   * True when the kernel enforces `limits.memory` of the spawn request (cgroup mode with the
   * memory controller); else the runner polls the tree's memory against it.
   */
  readonly enforcesMemory?: boolean;
  /** The tree is empty: frees what only this tree needed (an adopted cgroup). */
  release(): void;
  /** The identity of the current tree (after attach or adopt); else undefined. */
  identity(): TreeIdentity | undefined;
  /**
   * Takes back the tree of main process `pid` (started at `startTime`, /proc/PID/stat field 22)
   * that an earlier daemon started. @returns false when this containment cannot hold that
   * identity (another mode): nothing is taken
   */
  adopt(pid: number, startTime: number, identity: TreeIdentity): boolean;
}

/** A containment mode and the trees it makes. */
export interface Containment {
  readonly mode: ContainmentMode;
  /** Why cgroups are not used, in process-group mode; else undefined. */
  readonly fallbackReason: string | undefined;
  /** How instances enter their cgroups (cgroup mode): warden-spawner's clone3, or a sh wrapper. */
  startMode(): 'clone3' | 'wrapper' | undefined;
  /**
   * Why the controllers that cgroup limits need cannot be used for instances, by controller;
   * empty when all can (cgroup mode with memory, cpu and pids enabled for the leaves).
   */
  readonly missingControllers: ReadonlyMap<LimitController, string>;
  tree(instance: string): InstanceTree;
  /**
   * The process trees an earlier daemon of this home left running, found in the system (its
   * leaves, or its markers in /proc), whatever state.json says. Call before any spawn.
   */
  leftovers(): LeftoverTree[];
  /**
   * Kills what the mode holds but cannot attribute to an instance (process-group mode: orphans
   * reparented to the daemon that no tree's snapshots saw). Call once every instance stopped.
   * @returns the processes killed, for the daemon log
   */
  killUnattributed(): Promise<ProcInfo[]>;
  /**
   * Removes what the mode created (the warden cgroup and its leaves), once every tree is empty.
   * @param patienceMs how long a busy cgroup is retried (default 2000; 0: once, for a start-up
   *   that failed, where only an earlier daemon's leftovers can be busy, and they must stay)
   * @returns the cgroups that could not be removed (still busy)
   */
  close(patienceMs?: number): Promise<string[]>;
}

/**
 * Picks the containment for the daemon of `home`: cgroup v2 when detection succeeds, else
 * process groups. `requested` (from WARDEN_CONTAINMENT) forces one: `process-group` always
 * works; `cgroup` fails over to process groups with the reason when unusable.
 */
export function chooseContainment(
  home: string,
  requested = 'auto',
  log: (line: string) => void = () => undefined,
): Containment {
  const homeId = homeIdOf(home);
  if (requested === 'process-group')
    return groupContainment(homeId, 'WARDEN_CONTAINMENT=process-group', log);
  const starter = new CgroupStarter();
  // Alone in a delegated cgroup: into a leaf first, so that the fork server follows it there.
  const self = enterOwnLeaf(`warden-${homeId}-daemon`);
  if ('leaf' in self) log(`moved itself into ${self.leaf} (alone in ${self.from})`);
  const found = detectCgroup(`warden-${homeId}`, starter, 'leaf' in self ? self.own : undefined);
  if (found.ok) return cgroupContainment(homeId, found.cgroup, starter, self);
  void starter.close(); // the probe may have started the fork server
  if ('leaf' in self) leaveOwnLeaf(self);
  return groupContainment(homeId, found.reason, log);
}

/** 12 hex digits of the sha256 of the home's path: its cgroup's name and its markers' prefix. */
export function homeIdOf(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 12);
}

function groupContainment(
  homeId: string,
  reason: string,
  log: (line: string) => void,
): Containment {
  const attribution = new GroupAttribution(log);
  // For the starts with privileges only (config `user`...); its fork server starts on first use.
  const starter = new CgroupStarter();
  return {
    mode: 'process-group',
    fallbackReason: reason,
    startMode: () => undefined,
    missingControllers: new Map(
      (['memory', 'cpu', 'pids'] as const).map((c) => [
        c,
        `cgroups are not in use here (${reason})`,
      ]),
    ),
    tree: () => new GroupTree(homeId, attribution, starter),
    leftovers: () => groupLeftovers(homeId),
    killUnattributed: () => attribution.killUnattributed(),
    close: async () => {
      await starter.close();
      return [];
    },
  };
}

function cgroupContainment(
  homeId: string,
  cgroup: CgroupBase,
  starter: CgroupStarter,
  self: OwnLeaf | { why: string },
): Containment {
  // From the daemon's own cgroup (left for its leaf, or shared) down to the leaves' parent.
  const { missing } = enableControllers(dirname(cgroup.base), cgroup.base);
  return {
    mode: 'cgroup',
    fallbackReason: undefined,
    startMode: () => starter.mode,
    missingControllers: missing,
    tree: (instance) =>
      new CgroupTree(cgroup.base, instance, starter, homeId, !missing.has('memory')),
    leftovers: () => cgroupLeftovers(cgroup.base, homeId),
    // Every process of an instance is in its leaf, reparented or not: nothing to attribute.
    killUnattributed: () => Promise.resolve([]),
    close: async (patienceMs?: number) => {
      await starter.close();
      const busy = await removeCgroupTree(cgroup.base, patienceMs);
      if ('leaf' in self) leaveOwnLeaf(self);
      return busy;
    },
  };
}
