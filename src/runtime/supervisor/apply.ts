// Applying a config to what runs, by the plan of reload-plan.ts: services removed, kept ones
// given their new definition (live settings, restarts, instance counts), new ones created.
import type { ServiceSpec, WardenConfig } from '../../config/types.js';
import { isActive } from '../../core/instance.js';
import type { Leftovers } from '../leftovers.js';
import type { PlannedService, ReloadPlan } from '../reload-plan.js';
import type { Runner } from '../runner/runner.js';
import type { Registry, Service } from './registry.js';
import { hasLeftStopping } from './slices.js';

/** What applying a config needs of the supervisor. */
export interface ApplyContext {
  registry: Registry;
  /** Trees an earlier daemon left, which new instances take back first. */
  leftovers: Leftovers;
  /** Stops runners that are no longer wanted and frees them. */
  retire(runners: readonly Runner[]): Promise<void>;
  /** Starts the instances named (with their dependencies). */
  start(names: readonly string[]): void;
  /** Instances that run nothing take back leftover trees; what none claims is stopped. */
  takeBackLeftovers(): void;
}

/** What runs now, as planReload compares it with a config. */
export function running(registry: Registry): Map<string, PlannedService> {
  return new Map(
    registry.services().map((svc) => [
      svc.spec.name,
      {
        spec: svc.spec,
        instances: svc.runners.map((r) => ({
          name: r.name,
          index: r.model.index,
          active: isActive(r.model.current),
          spawnedAs: r.spawnedAs,
          ended: r.model.current.state === 'exited' || r.model.current.state === 'failed',
        })),
      },
    ]),
  );
}

/**
 * Carries out `plan` for `config`: removed services are stopped and forgotten, kept ones updated
 * (see update), added ones created stopped (the caller starts them).
 * Resolves once every stop and restart of it is past its stop.
 */
export async function applyPlan(
  ctx: ApplyContext,
  config: WardenConfig,
  plan: ReloadPlan,
): Promise<void> {
  const { registry } = ctx;
  await Promise.all(plan.removed.map((name) => remove(ctx, name)));
  const services: Service[] = [];
  const waits: Promise<unknown>[] = [];
  const restarted = new Set(plan.restarted);
  for (const spec of config.services) {
    const svc = registry.get(spec.name) ?? registry.create(spec);
    waits.push(update(ctx, svc, spec, restarted));
    services.push(svc);
  }
  registry.replace(services);
  ctx.takeBackLeftovers();
  await Promise.all(waits);
}

// Gives a kept service its new definition: live settings at once, restarts, count changes.
async function update(
  ctx: ApplyContext,
  svc: Service,
  spec: ServiceSpec,
  restart: ReadonlySet<string>,
): Promise<void> {
  const wanted = svc.runners.some((r) => r.model.current.state !== 'stopped');
  svc.spec = spec;
  svc.logFile.update(spec.logs);
  const kept = svc.runners.slice(0, spec.instances);
  const dropped = svc.runners.slice(spec.instances);
  const restarting = kept.filter((r) => restart.has(r.name));
  for (const r of kept) {
    r.useSpec(spec);
    r.renumber(spec.instances);
  }
  const added = Array.from({ length: spec.instances - kept.length }, (_, i) =>
    ctx.registry.runner(svc, spec, kept.length + i, spec.instances),
  );
  svc.runners = [...kept, ...added];
  // A new instance first takes back what an earlier daemon left running for it.
  for (const r of added) r.claim(ctx.leftovers);
  for (const r of restarting) r.dispatch({ type: 'restart' });
  if (wanted && added.length > 0) ctx.start(added.map((r) => r.name));
  await Promise.all([ctx.retire(dropped), ...restarting.map((r) => r.until(hasLeftStopping))]);
}

async function remove(ctx: ApplyContext, name: string): Promise<void> {
  const svc = ctx.registry.get(name);
  if (svc === undefined) return;
  await ctx.retire(svc.runners);
  ctx.registry.delete(name);
  await svc.logFile.close();
}
