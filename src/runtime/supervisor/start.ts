// Starting instances with their dependencies: a service without dependencies starts at once,
// the others wait at the start gate until theirs are ready.
import { isActive } from '../../core/instance.js';
import { isFine } from '../../core/task.js';
import { withDependencies, type StartGate } from '../dependencies.js';
import type { Runner } from '../runner/runner.js';
import type { Registry } from './registry.js';

/**
 * Starts `runners` and, first, the services they depend on: each service starts once its own
 * dependencies are ready (held at `gate` until then). A task that ran to its end (`exited`) runs
 * again only when it is in `named` (the user asked for it by name: `warden start migrate`).
 * `reason` says why in the log and the `start` event (default `started by user`).
 * @returns the runners that were not active (those this call starts)
 */
export function startWithDependencies(
  registry: Registry,
  gate: StartGate<Runner>,
  runners: readonly Runner[],
  named: ReadonlySet<Runner> = new Set(runners),
  reason?: string,
): Runner[] {
  const names = withDependencies(
    [...new Set(runners.map((r) => r.spec.name))],
    (n) => registry.depsOf(n),
    registry.order(),
  );
  const byService = new Map<string, Runner[]>();
  for (const r of runners) {
    const own = byService.get(r.spec.name);
    if (own === undefined) byService.set(r.spec.name, [r]);
    else own.push(r);
  }
  const idle: Runner[] = [];
  for (const name of names) {
    const chosen = (byService.get(name) ?? registry.get(name)?.runners ?? []).filter(
      (r) => named.has(r) || !isDone(r),
    );
    if (chosen.length === 0) continue;
    const fresh = chosen.filter((r) => !isActive(r.model.current));
    idle.push(...fresh);
    if (registry.depsOf(name).length === 0) {
      for (const r of chosen)
        r.dispatch({ type: 'start', ...(reason === undefined ? {} : { reason }) });
    } else {
      gate.hold(name, fresh);
    }
  }
  gate.settle();
  return idle;
}

// A task that succeeded: done, not run again by `up` or by a dependent's start. A scheduled
// task runs at its times (or when named), never by `up`.
function isDone(r: Runner): boolean {
  if (r.spec.kind !== 'task') return false;
  return r.spec.schedule !== null || isFine('task', r.model.current.state);
}
