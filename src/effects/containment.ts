// Containment: how warden keeps hold of an instance's whole process tree, however its processes
// detach. cgroup v2 where usable, else process group + session + /proc descendants.
import { createHash } from 'node:crypto';
import type { SpawnFailure } from '../core/exit.js';
import type { SignalName } from '../core/signals.js';
import { detectCgroup, removeCgroupTree, type CgroupBase } from './cgroup.js';
import { CgroupTree } from './cgroup-tree.js';
import { GroupTree } from './group-tree.js';
import { closeSpawner } from './spawner.js';
import type { ProcInfo } from './proc.js';
import type { SpawnRequest } from './spawn.js';

/** The containment modes, as `status --json` shows them in `daemon.containment`. */
export type ContainmentMode = 'cgroup' | 'process-group';

/** Memory and process count of a tree. */
export interface TreeStats {
  pids: number;
  /** memory.current where the memory controller is on, else the sum of the members' RSS. */
  memoryBytes: number;
}

/**
 * What a later daemon needs to take a tree back (state.json): its leaf cgroup, or the
 * WARDEN_INVOCATION marker (`WARDEN_INVOCATION=ID`) its processes carry.
 */
export type TreeIdentity = { cgroup: string } | { marker: string };

/** The process tree of one instance, across its restarts. */
export interface InstanceTree {
  /** Readies a spawn: the request to run so the process starts inside the tree, or why not. */
  prepare(req: SpawnRequest): SpawnRequest | SpawnFailure;
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
  /** Memory and pids, when this mode can tell them cheaply; else undefined. */
  stats(): TreeStats | undefined;
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
  tree(instance: string): InstanceTree;
  /**
   * Removes what the mode created (the warden cgroup and its leaves), once every tree is empty.
   * @returns the cgroups that could not be removed (still busy)
   */
  close(): Promise<string[]>;
}

/**
 * Picks the containment for the daemon of `home`: cgroup v2 when detection succeeds, else
 * process groups. `requested` (from WARDEN_CONTAINMENT) forces one: `process-group` always
 * works; `cgroup` fails over to process groups with the reason when unusable.
 */
export function chooseContainment(home: string, requested = 'auto'): Containment {
  if (requested === 'process-group') return groupContainment('WARDEN_CONTAINMENT=process-group');
  const name = `warden-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`;
  const found = detectCgroup(name);
  if (!found.ok) return groupContainment(found.reason);
  return cgroupContainment(found.cgroup);
}

function groupContainment(reason: string): Containment {
  return {
    mode: 'process-group',
    fallbackReason: reason,
    tree: () => new GroupTree(),
    close: () => Promise.resolve([]),
  };
}

function cgroupContainment(cgroup: CgroupBase): Containment {
  return {
    mode: 'cgroup',
    fallbackReason: undefined,
    tree: (instance) => new CgroupTree(cgroup.base, instance),
    close: async () => {
      await closeSpawner();
      return removeCgroupTree(cgroup.base);
    },
  };
}
