// runtime_max, as systemd's RuntimeMaxSec= (systemd.service(5)): counted from the moment an
// instance became `running` (systemd: from `active`), then the instance is stopped and started
// again at once. It is a planned renewal, not a failure: neither the backoff nor the start limit
// counts it.
import type { Effect, InstanceModel, Transition } from './instance.js';
import type { InstancePolicy } from './spec.js';

/**
 * The timer of an instance `running` since `since` (ms since the epoch), armed at `now` for the
 * time it has left; none without runtime_max.
 */
export function runtimeMaxTimer(p: InstancePolicy, since: number, now: number): Effect[] {
  if (p.runtimeMaxMs === null) return [];
  const delayMs = Math.max(0, p.runtimeMaxMs - (now - since));
  return [{ kind: 'set-timer', timer: 'runtime-max', delayMs }];
}

/** The reason of a runtime_max stop: `runtime_max (24h) reached`. */
export function runtimeMaxReason(p: InstancePolicy): string {
  return `runtime_max (${compactDuration(p.runtimeMaxMs ?? 0)}) reached`;
}

/**
 * Where a runtime_max stop goes once the tree is gone: `starting` again as an automatic restart
 * (counters of failures untouched), or `exited` with `restart: never`.
 */
export function afterRuntimeMax(
  m: InstanceModel,
  now: number,
  p: InstancePolicy,
  note: string,
): Transition {
  const why = `${note}${runtimeMaxReason(p)}`;
  if (p.restart === 'never') {
    const model = { ...m, current: { state: 'exited', since: now } as const };
    return { model, effects: [{ kind: 'clear-timers' }], reason: `${why}; restart: never` };
  }
  const restarts = m.restarts + 1;
  return {
    model: {
      ...m,
      restarts,
      runStartedAt: now,
      current: { state: 'starting', since: now, pid: null },
    },
    effects: [{ kind: 'clear-timers' }, { kind: 'spawn' }],
    reason: `${why}; automatic restart #${restarts}`,
  };
}

// `24h`, `90m`, `2s`, `1h30m`, `1500ms`: the largest units that say a duration exactly.
function compactDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const units: [string, number][] = [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  let left = ms / 1000;
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out === '' ? '0s' : out;
}
