// `limits.memory` where no cgroup enforces it (process-group mode): the tree's memory compared
// with the limit every `limits.memory_poll`, PM2's max_memory_restart named honestly.
import type { Clock } from '../../core/clock.js';
import type { InstanceEvent, InstanceState } from '../../core/instance.js';
import type { LimitSpec } from '../../config/types.js';
import type { InstanceTree } from '../../effects/containment/containment.js';

/** What the poll of one instance reads and tells. */
export interface MemoryPollHost {
  clock: Clock;
  tree: InstanceTree;
  /** The limits in force (the service's current definition). */
  limits: () => LimitSpec;
  /** The instance's state; null once the runner let it go (detached or closed). */
  state: () => InstanceState | null;
  /** Feeds `memory-exceeded` to the instance's state machine. */
  dispatch: (event: InstanceEvent) => void;
}

/** A repeating check, on while the instance has a live main process to measure. */
export class MemoryPoll {
  #handle: unknown;
  #everyMs = 0;

  constructor(private readonly host: MemoryPollHost) {}

  /**
   * Turns the poll on or off after a transition (and checks at each tick): on while a live main
   * process is `starting` or `running`, `limits.memory` is set and no cgroup enforces it; a
   * change of period restarts it.
   */
  follow(): void {
    const { memoryPollMs } = this.host.limits();
    const isWanted = this.#isWanted();
    if (isWanted && this.#handle !== undefined && memoryPollMs === this.#everyMs) return;
    if (this.#handle !== undefined) this.host.clock.cancel(this.#handle);
    this.#handle = undefined;
    if (!isWanted) return;
    this.#everyMs = memoryPollMs;
    this.#handle = this.host.clock.after(memoryPollMs, () => {
      this.#handle = undefined;
      if (this.#isWanted()) this.#check();
      this.follow();
    });
  }

  // A live main process, `starting` or `running`, a memory limit, and no cgroup enforcing it.
  #isWanted(): boolean {
    const s = this.host.state();
    const isLive = (s?.state === 'starting' || s?.state === 'running') && s.pid !== null;
    return (
      isLive && this.host.limits().memoryBytes !== null && this.host.tree.enforcesLimits !== true
    );
  }

  #check(): void {
    const limitBytes = this.host.limits().memoryBytes;
    const bytes = this.host.tree.stats()?.memoryBytes;
    if (limitBytes === null || bytes === undefined || bytes <= limitBytes) return;
    this.host.dispatch({ type: 'memory-exceeded', bytes, limitBytes });
  }
}
