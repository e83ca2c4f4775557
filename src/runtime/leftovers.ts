// The process trees an earlier daemon of this home left running (effects/containment/leftovers.ts), until
// each is taken back by its instance or stopped: never a second process for one instance, and
// nothing of an earlier daemon left behind by `down`.
import type { LeftoverTree } from '../effects/containment/leftovers.js';
import type { ProcessRecord } from '../effects/containment/leftovers.js';

/** The leftover trees not yet taken back or stopped. */
export class Leftovers {
  #trees: LeftoverTree[];

  constructor(trees: readonly LeftoverTree[]) {
    this.#trees = [...trees];
  }

  /** How many are left. */
  get size(): number {
    return this.#trees.length;
  }

  /**
   * Takes the tree that holds the recorded process `p` (same pid and start time, same leaf or
   * marker): state.json's word counts only where the system shows the process is this home's.
   */
  takeRecorded(p: ProcessRecord): LeftoverTree | undefined {
    return this.#take(
      (t) =>
        sameTree(t, p) && t.members.some((m) => m.pid === p.pid && m.startTime === p.startTime),
    );
  }

  /** Takes a tree started for instance `index` of `service`. */
  takeFor(service: string, index: number): LeftoverTree | undefined {
    return this.#take((t) => t.service === service && t.index === index);
  }

  /** Takes every tree left (those no instance claimed). */
  takeAll(): LeftoverTree[] {
    const all = this.#trees;
    this.#trees = [];
    return all;
  }

  #take(test: (t: LeftoverTree) => boolean): LeftoverTree | undefined {
    const at = this.#trees.findIndex(test);
    if (at === -1) return undefined;
    const [tree] = this.#trees.splice(at, 1);
    return tree;
  }
}

function sameTree(t: LeftoverTree, p: ProcessRecord): boolean {
  if ('cgroup' in t.tree) return 'cgroup' in p.tree && p.tree.cgroup === t.tree.cgroup;
  return 'marker' in p.tree && p.tree.marker === t.tree.marker;
}

/** The process record of a leftover tree, for an instance that takes it back. */
export function recordOf(t: LeftoverTree): ProcessRecord {
  return {
    pid: t.pid,
    startTime: t.startTime,
    startedAt: t.startedAt,
    spawnedAs: t.spawnedAs,
    tree: t.tree,
    pipes: t.pipes,
  };
}
