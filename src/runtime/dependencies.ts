// Start order on readiness: what a service waiting for its dependencies should do now.
import type { Dependency } from '../config/types.js';
import type { StateName } from '../core/instance.js';

/** Where a waiting service stands: go, keep waiting (and why), or give up (and why). */
export type DependencyVerdict =
  { kind: 'go' } | { kind: 'wait'; reason: string } | { kind: 'blocked'; reason: string };

/**
 * Decides for a service with `deps`, given the instance states of each service and the set of
 * services that are themselves still waiting.
 */
export function judgeDependencies(
  deps: readonly Dependency[],
  statesOf: (service: string) => StateName[],
  waiting: ReadonlySet<string>,
): DependencyVerdict {
  const pending: string[] = [];
  for (const d of deps) {
    const states = statesOf(d.service);
    if (states.every((s) => isSatisfied(s, d.condition))) continue;
    const dead = states.find((s) => s === 'failed' || s === 'exited');
    if (dead !== undefined) return { kind: 'blocked', reason: `dependency ${d.service} ${dead}` };
    const idle = states.every((s) => s === 'stopped') && !waiting.has(d.service);
    if (idle) return { kind: 'blocked', reason: `dependency ${d.service} stopped` };
    pending.push(`${d.service} (${d.condition})`);
  }
  if (pending.length === 0) return { kind: 'go' };
  return { kind: 'wait', reason: `waiting for ${pending.join(', ')}` };
}

function isSatisfied(state: StateName, condition: Dependency['condition']): boolean {
  return condition === 'running'
    ? state === 'running'
    : state === 'starting' || state === 'running';
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
  dispatch(event: { type: 'start'; reason: string } | { type: 'hold'; reason: string }): void;
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
    private readonly statesOf: (service: string) => StateName[],
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
          const verdict = judgeDependencies(this.depsOf(service), this.statesOf, waiting);
          if (verdict.kind === 'go') {
            this.#pending.delete(service);
            for (const r of runners) r.dispatch({ type: 'start', reason: 'dependencies ready' });
          } else {
            if (verdict.kind === 'blocked') this.#pending.delete(service);
            for (const r of runners) r.dispatch({ type: 'hold', reason: verdict.reason });
          }
        }
      } while (this.#again);
    } finally {
      this.#settling = false;
    }
  }
}
