// The difference between the services a daemon runs and a new config: what `reload` (and `up`
// with a changed file) does, and what `reload --dry-run` prints. Pure: computed, not carried out.
import { spawnIdentity } from '../config/spawn-identity.js';
import type { ServiceSpec, WardenConfig } from '../config/types.js';
import type { ApplyPlan, Rescale } from '../ipc/protocol.js';

/** One instance as the plan sees it. */
export interface PlannedInstance {
  name: string;
  index: number;
  /** Some process of it may be alive (starting, running, stopping). */
  active: boolean;
  /** spawnIdentity of the definition its process was started from; null without a process. */
  spawnedAs: string | null;
  /** It ran to its end (`exited` or `failed`): a task is run again when its definition changed. */
  ended: boolean;
}

/** One service as the plan sees it. */
export interface PlannedService {
  spec: ServiceSpec;
  instances: readonly PlannedInstance[];
}

/**
 * What applying a config does (every list in config order): the protocol's ApplyPlan, which
 * `up` and `reload` answer with as it is.
 */
export type ReloadPlan = ApplyPlan;
export type { Rescale };

/** Plans how `current` becomes `next`. */
export function planReload(
  current: ReadonlyMap<string, PlannedService>,
  next: WardenConfig,
): ReloadPlan {
  const plan: ReloadPlan = {
    added: [],
    removed: [],
    changed: [],
    updated: [],
    scaled: [],
    unchanged: [],
    restarted: [],
  };
  const names = new Set(next.services.map((s) => s.name));
  for (const spec of next.services) {
    const old = current.get(spec.name);
    if (old === undefined) {
      plan.added.push(spec.name);
      continue;
    }
    if (JSON.stringify(old.spec) === JSON.stringify(spec)) {
      plan.unchanged.push(spec.name);
      continue;
    }
    const from = old.spec.instances;
    if (from !== spec.instances) plan.scaled.push({ service: spec.name, from, to: spec.instances });
    const identity = spawnIdentity(spec);
    // A scheduled task that ended waits for its next time rather than running now.
    const isNewTask =
      spec.kind === 'task' && spec.schedule === null && spawnIdentity(old.spec) !== identity;
    // Instances past the new count are removed, not restarted.
    const stale = old.instances.filter(
      (i) =>
        i.index < spec.instances &&
        ((i.active && i.spawnedAs !== identity) || (isNewTask && i.ended)),
    );
    plan.restarted.push(...stale.map((i) => i.name));
    if (spawnIdentity(old.spec) !== identity || stale.length > 0) plan.changed.push(spec.name);
    else if (!sameBesidesCount(old.spec, spec)) plan.updated.push(spec.name);
  }
  plan.removed = [...current.keys()].filter((n) => !names.has(n));
  return plan;
}

function sameBesidesCount(a: ServiceSpec, b: ServiceSpec): boolean {
  return JSON.stringify({ ...a, instances: 0 }) === JSON.stringify({ ...b, instances: 0 });
}
