// Start order on readiness: what a service waiting for its dependencies should do now.
import type { Dependency } from '../config/types.js';
import type { LastExit } from '../core/exit.js';
import type { StateName } from '../core/instance.js';
import { describeEnd, hasCompleted, hasSucceeded } from '../core/task.js';

/**
 * Where a waiting service stands: go, keep waiting (and why), or give up (and why; `stderr`:
 * the telling stderr lines of the task whose end holds it, else []).
 */
export type DependencyVerdict =
  | { kind: 'go' }
  | { kind: 'wait'; reason: string }
  | { kind: 'blocked'; reason: string; stderr: readonly string[] };

/** One instance of a dependency, as the gate sees it. */
export interface DependencyView {
  /** The instance's name (`migrate`, `db:1`). */
  name: string;
  state: StateName;
  lastExit: LastExit | null;
  /** The telling lines of its last run's stderr; read only when its end holds a dependent. */
  stderr(): readonly string[];
}

/**
 * Decides for a service with `deps`, given the instances of each service and the set of
 * services that are themselves still waiting.
 */
export function judgeDependencies(
  deps: readonly Dependency[],
  viewsOf: (service: string) => DependencyView[],
  waiting: ReadonlySet<string>,
): DependencyVerdict {
  const pending: string[] = [];
  for (const d of deps) {
    const views = viewsOf(d.service);
    if (views.every((v) => isSatisfied(v, d.condition))) continue;
    const ended = views.find((v) => isHopeless(v, d.condition));
    if (ended !== undefined) return blocked(d, ended);
    const idle = views.every((v) => v.state === 'stopped') && !waiting.has(d.service);
    if (idle) return { kind: 'blocked', reason: `dependency ${d.service} stopped`, stderr: [] };
    pending.push(`${d.service} (${d.condition})`);
  }
  if (pending.length === 0) return { kind: 'go' };
  return { kind: 'wait', reason: `waiting for ${pending.join(', ')}` };
}

function isSatisfied(v: DependencyView, condition: Dependency['condition']): boolean {
  switch (condition) {
    case 'running':
      return v.state === 'running';
    case 'started':
      return v.state === 'starting' || v.state === 'running';
    case 'completed':
      return hasCompleted(v);
    case 'succeeded':
      return hasSucceeded(v);
  }
}

// Ended in a way that can no longer meet the condition (nothing restarts it by itself).
function isHopeless(v: DependencyView, condition: Dependency['condition']): boolean {
  if (condition === 'completed') return false;
  return hasCompleted(v) && !(condition === 'succeeded' && hasSucceeded(v));
}

// A task's end says how it ended (`migrate exited 1`) and shows its stderr; a service's, its state.
function blocked(d: Dependency, v: DependencyView): DependencyVerdict {
  if (d.condition === 'succeeded')
    return { kind: 'blocked', reason: describeEnd(v.name, v.lastExit), stderr: v.stderr() };
  return { kind: 'blocked', reason: `dependency ${d.service} ${v.state}`, stderr: [] };
}

/**
 * The services to start for `targets`, dependencies included (transitively), in an order where
 * each comes after its dependencies; `order` is the config's start order.
 */
export function withDependencies(
  targets: readonly string[],
  depsOf: (service: string) => readonly Dependency[],
  order: readonly string[],
): string[] {
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const d of depsOf(name)) add(d.service);
  };
  targets.forEach(add);
  return order.filter((n) => wanted.has(n));
}

/**
 * Groups `services` into batches to stop one after another: every service comes in a batch
 * before those of its dependencies (dependents stop first), batches stop in parallel.
 */
export function stopBatches(
  services: readonly string[],
  depsOf: (service: string) => readonly Dependency[],
): string[][] {
  const remaining = new Set(services);
  const batches: string[][] = [];
  while (remaining.size > 0) {
    // Stoppable now: nothing still running depends on it.
    const batch = [...remaining].filter(
      (s) => ![...remaining].some((o) => o !== s && depsOf(o).some((d) => d.service === s)),
    );
    const next = batch.length > 0 ? batch : [...remaining]; // a cycle cannot load; stay total
    next.forEach((s) => remaining.delete(s));
    batches.push(next);
  }
  return batches;
}

/** What a gate needs of the things it holds: to be started, or held with a reason. */
export interface Gated {
  dispatch(event: { type: 'start'; reason: string }): void;
  /** Holds it `stopped` with `reason`; `stderr`: the telling lines of the task that holds it. */
  hold(reason: string, stderr: readonly string[]): void;
}

/**
 * Holds services until their dependencies are ready: `settle` (after every state change) starts
 * those whose dependencies are ready, holds the others `stopped` with the reason, and gives up on
 * those whose dependencies failed.
 */
export class StartGate<R extends Gated> {
  readonly #pending = new Map<string, R[]>();
  #settling = false;
  #again = false;

  constructor(
    private readonly depsOf: (service: string) => readonly Dependency[],
    private readonly viewsOf: (service: string) => DependencyView[],
  ) {}

  /** `service` waits (with these of its runners) for its dependencies. */
  hold(service: string, runners: readonly R[]): void {
    this.#pending.set(service, [...new Set([...(this.#pending.get(service) ?? []), ...runners])]);
  }

  /** True while `runner` of `service` waits. */
  isWaiting(service: string, runner: R): boolean {
    return this.#pending.get(service)?.includes(runner) === true;
  }

  /** Stops waiting for these runners (a stop was asked for). */
  release(runners: readonly R[]): void {
    for (const [service, waiting] of this.#pending) {
      const left = waiting.filter((r) => !runners.includes(r));
      if (left.length === 0) this.#pending.delete(service);
      else this.#pending.set(service, left);
    }
  }

  clear(): void {
    this.#pending.clear();
  }

  /** Re-decides every waiting service; re-entrant calls (from the starts it makes) loop instead. */
  settle(): void {
    if (this.#pending.size === 0) return;
    if (this.#settling) {
      this.#again = true;
      return;
    }
    this.#settling = true;
    try {
      do {
        this.#again = false;
        const waiting = new Set(this.#pending.keys());
        for (const [service, runners] of this.#pending) {
          const verdict = judgeDependencies(this.depsOf(service), this.viewsOf, waiting);
          if (verdict.kind === 'go') {
            this.#pending.delete(service);
            for (const r of runners) r.dispatch({ type: 'start', reason: 'dependencies ready' });
          } else {
            const stderr = verdict.kind === 'blocked' ? verdict.stderr : [];
            if (verdict.kind === 'blocked') this.#pending.delete(service);
            for (const r of runners) r.hold(verdict.reason, stderr);
          }
        }
      } while (this.#again);
    } finally {
      this.#settling = false;
    }
  }
}
