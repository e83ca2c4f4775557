// Checks across services: every `depends_on` name exists, and the dependencies form no cycle.
import type { Dependency } from './types.js';
import type { PathIssue } from './zod-issues.js';

/**
 * Finds unknown dependency names and cycles in `deps` (service name -> its dependencies).
 * @param mapForm the services whose `depends_on` is written as a map (`{db: running}`): an
 *   unknown name there is a key (`depends_on.cache`, at the key), in a list an item (`depends_on[1]`)
 * @returns one issue per unknown name (at that entry) and one per cycle, naming it in order,
 *   e.g. `a -> b -> a` (at the `depends_on` of its first service in file order)
 */
export function dependencyIssues(
  deps: Map<string, Dependency[]>,
  mapForm: ReadonlySet<string>,
): PathIssue[] {
  const issues: PathIssue[] = [];
  const known = [...deps.keys()];
  for (const [name, list] of deps) {
    const isMap = mapForm.has(name);
    list.forEach((d, i) => {
      if (deps.has(d.service)) return;
      const message = `"${d.service}" is not a service of this file (services: ${known.join(', ')})`;
      issues.push({
        path: ['services', name, 'depends_on', isMap ? d.service : i],
        target: isMap ? 'key' : 'value',
        message,
      });
    });
  }
  for (const cycle of findCycles(deps)) {
    const first = cycle[0] ?? '';
    const message = `dependency cycle: ${[...cycle, first].join(' -> ')}; remove one of these depends_on entries`;
    issues.push({ path: ['services', first, 'depends_on'], target: 'key', message });
  }
  return issues;
}

/** The elementary cycles found by a depth-first search, each reported once, from its first service. */
export function findCycles(deps: Map<string, Dependency[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const onPath: string[] = [];
  const visit = (name: string): void => {
    const at = onPath.indexOf(name);
    if (at !== -1) {
      cycles.push(onPath.slice(at));
      return;
    }
    if (seen.has(name)) return;
    seen.add(name);
    onPath.push(name);
    for (const d of deps.get(name) ?? []) if (deps.has(d.service)) visit(d.service);
    onPath.pop();
  };
  for (const name of deps.keys()) visit(name);
  return cycles;
}

/**
 * Orders services so each comes after its dependencies (Kahn's algorithm, ties in file order).
 * Assumes no cycle (checked at load).
 */
export function startOrder(deps: Map<string, Dependency[]>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < deps.size) {
    const next = [...deps.keys()].find(
      (n) =>
        !placed.has(n) &&
        (deps.get(n) ?? []).every((d) => placed.has(d.service) || !deps.has(d.service)),
    );
    if (next === undefined) break; // a cycle: cannot happen for a loaded config
    placed.add(next);
    order.push(next);
  }
  return order;
}
