// Whether a config's cgroup limits can be applied by this daemon's containment: a limit whose
// controller is missing (process-group mode, or a controller cgroup v2 does not offer here) is a
// config error that says why, except `memory`, which is then polled.
import { CGROUP_KEYS, cgroupLimitKeys } from '../config/limits.js';
import type { ConfigIssue, WardenConfig } from '../config/types.js';
import type { ContainmentMode } from '../effects/containment/containment.js';
import type { LimitController } from '../effects/containment/cgroup/cgroup-limits.js';

/** What the containment can enforce: its mode and why each missing controller is missing. */
export interface LimitSupport {
  mode: ContainmentMode;
  missing: ReadonlyMap<LimitController, string>;
}

const WHAT_TO_DO: Record<ContainmentMode, string> = {
  'process-group':
    'only memory is enforced without cgroups (the RSS of the tree, polled); remove the key, or run warden where cgroup v2 is usable (as root, or under systemd with Delegate=yes: warden startup)',
  cgroup:
    "remove the key, or enable the controller for the daemon's cgroup (systemd: Delegate=yes)",
};

/**
 * The issues of `config`'s limits that this daemon cannot apply, one per service and key
 * (`services.web.limits.cpu: cannot be applied: cgroups are not in use here (...); ...`).
 */
export function limitIssues(config: WardenConfig, support: LimitSupport): ConfigIssue[] {
  return config.services.flatMap((spec) =>
    cgroupLimitKeys(spec.limits).flatMap((key): ConfigIssue[] => {
      // Polled where no controller enforces it (MemoryPoll), in either mode.
      if (key === 'memory') return [];
      const why = support.missing.get(CGROUP_KEYS[key]);
      if (why === undefined) return [];
      const message = `cannot be applied: ${why}; ${WHAT_TO_DO[support.mode]}`;
      return [{ file: config.path, path: `services.${spec.name}.limits.${key}`, message }];
    }),
  );
}

/**
 * The start-up lines that say which limits cannot be applied and why, none when all can
 * (`limits: memory, memory_high cannot be applied: ...`). Process-group mode says it once.
 */
export function limitSupportLines(support: LimitSupport): string[] {
  if (support.mode === 'process-group')
    return ['limits: memory is polled (no cgroups); memory_high, cpu and pids cannot be applied'];
  return [...support.missing].map(([controller, why]) => {
    const keys = Object.entries(CGROUP_KEYS)
      .filter(([, c]) => c === controller)
      .map(([key]) => key);
    if (controller === 'memory')
      return `limits: memory is polled, ${keys.filter((k) => k !== 'memory').join(', ')} cannot be applied: ${why}`;
    return `limits: ${keys.join(', ')} cannot be applied: ${why}`;
  });
}
