// Taking back the services an earlier daemon left (state.json), before any config is applied.
import type { ServiceSpec } from '../../config/types.js';
import type { RestoreOutcome } from '../../core/restore.js';
import type { InstanceRecord } from '../instance-record.js';
import type { Leftovers } from '../leftovers.js';
import type { Runner } from '../runner/runner.js';
import type { Registry } from './registry.js';

/** One service as state.json recorded it. */
export interface RecordedService {
  spec: ServiceSpec;
  instances: readonly InstanceRecord[];
}

/**
 * Creates each recorded service in `registry` from its recorded definition and restores each of
 * its instances (Runner.restore) with the trees in `found`; the extra instance of a rolling
 * restart that the crash interrupted is `retire`d. @returns each instance and how it was taken back
 */
export function restoreServices(
  registry: Registry,
  services: readonly RecordedService[],
  found: Leftovers,
  retire: (runner: Runner) => void,
): { instance: string; outcome: RestoreOutcome }[] {
  const outcomes: { instance: string; outcome: RestoreOutcome }[] = [];
  for (const { spec, instances } of services) {
    const svc = registry.create(spec);
    registry.add(svc);
    for (const rec of instances) {
      // Past the count: the extra instance of a rolling restart that the crash interrupted.
      const extra = rec.index >= spec.instances;
      const r = svc.runners[rec.index] ?? registry.runner(svc, spec, rec.index, rec.index + 1);
      outcomes.push({ instance: r.name, outcome: r.restore(rec, found) });
      if (extra) retire(r);
    }
  }
  return outcomes;
}
