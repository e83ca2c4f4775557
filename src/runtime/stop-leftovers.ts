// Stopping the trees of an earlier daemon that no instance takes back: as an instance stops
// (its service's stop signal, then SIGKILL after its stop_timeout), and said in the daemon log.
import type { ServiceSpec } from '../config/types.js';
import { KILL_GRACE_MS } from '../core/transition.js';
import type { InstanceTree } from '../effects/containment/containment.js';
import type { LeftoverTree } from '../effects/containment/leftovers.js';
import type { Clock } from '../core/clock.js';

/** What stopping leftover trees needs. */
export interface LeftoverStopper {
  /** A tree of the daemon's containment (named for the log only). */
  tree(name: string): InstanceTree;
  clock: Clock;
  log: (line: string) => void;
  /** The service's definition, when the config has it (for its stop signal and timeout). */
  specOf(service: string): ServiceSpec | undefined;
}

/** How often a stopping tree is checked for emptiness (ms). */
const POLL_MS = 25;
/** The stop timeout of a tree whose service the config does not have (ms). */
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Stops every tree of `trees`; resolves once each is empty (or outlived SIGKILL's grace). */
export async function stopLeftovers(
  trees: readonly LeftoverTree[],
  o: LeftoverStopper,
): Promise<void> {
  await Promise.all(trees.map((t) => stopLeftover(t, o)));
}

async function stopLeftover(t: LeftoverTree, o: LeftoverStopper): Promise<void> {
  const who = t.service === null ? 'an unknown instance' : `${t.service} #${t.index ?? '?'}`;
  const tree = o.tree(`leftover-${t.pid}`);
  if (!tree.adopt(t.pid, t.startTime, t.tree)) return;
  const spec = t.service === null ? undefined : o.specOf(t.service);
  const pids = t.members.map((m) => m.pid).join(', ');
  o.log(
    `leftover of an earlier daemon (${who}, pids ${pids}): no instance of the config takes it back; stopping it`,
  );
  tree.signal(spec?.stopSignal ?? 'SIGTERM');
  tree.signal('SIGCONT');
  const ended = async (ms: number): Promise<boolean> => {
    for (let waited = 0; ; waited += POLL_MS) {
      tree.sweep();
      if (tree.isEmpty()) return true;
      if (waited >= ms) return false;
      await new Promise((resolve) => o.clock.after(POLL_MS, () => resolve(undefined)));
    }
  };
  if (!(await ended(spec?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))) {
    tree.signal('SIGKILL');
    if (!(await ended(KILL_GRACE_MS))) {
      const left = tree.members().map((p) => p.pid);
      o.log(`leftover of ${who}: pids ${left.join(', ')} survived SIGKILL`);
      return;
    }
  }
  tree.release();
  o.log(`leftover of ${who} stopped`);
}
