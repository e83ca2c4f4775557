// `limits.memory` where no cgroup enforces it (process-group mode, or cgroup mode without the
// memory controller): the tree's memory compared with the limit every `limits.memory_poll`,
// PM2's max_memory_restart named honestly.
import type { Clock } from '../../core/clock.js';
import type { InstanceEvent, InstanceModel } from '../../core/instance.js';
import type { ServiceSpec } from '../../config/types.js';
import type { InstanceTree } from '../../effects/containment/containment.js';

/** The instance a poll is for, as its Runner shows it. */
export interface PolledInstance {
  /** The service's current definition (its `limits`). */
  readonly spec: ServiceSpec;
  readonly model: InstanceModel;
  /** Feeds `memory-exceeded` to the instance's state machine. */
  dispatch(event: InstanceEvent): void;
}

/** A repeating check, on while the instance has a live main process to measure. */
export class MemoryPoll {
  #handle: unknown;
  #everyMs = 0;

  /** `isLetGo`: the runner detached or closed: the poll stops at its next tick. */
  constructor(
    private readonly clock: Clock,
    private readonly tree: InstanceTree,
    private readonly instance: PolledInstance,
    private readonly isLetGo: () => boolean,
  ) {}

  /**
   * Turns the poll on or off after a transition (and checks at each tick): on while a live main
   * process is `starting` or `running`, `limits.memory` is set and no cgroup enforces it; a
   * change of period restarts it.
   */
  follow(): void {
    const { memoryPollMs } = this.instance.spec.limits;
    const isWanted = this.#isWanted();
    if (isWanted && this.#handle !== undefined && memoryPollMs === this.#everyMs) return;
    if (this.#handle !== undefined) this.clock.cancel(this.#handle);
    this.#handle = undefined;
    if (!isWanted) return;
    this.#everyMs = memoryPollMs;
    this.#handle = this.clock.after(memoryPollMs, () => {
      this.#handle = undefined;
      if (this.#isWanted()) this.#check();
      this.follow();
    });
  }

  // A live main process, `starting` or `running`, of a runner not let go, a memory limit, and no
  // cgroup enforcing it.
  #isWanted(): boolean {
    const s = this.instance.model.current;
    const isLive = (s.state === 'starting' || s.state === 'running') && s.pid !== null;
    const isUnenforced = this.tree.enforcesMemory !== true;
    return (
      isLive && !this.isLetGo() && isUnenforced && this.instance.spec.limits.memoryBytes !== null
    );
  }

  #check(): void {
    const limitBytes = this.instance.spec.limits.memoryBytes;
    const bytes = this.tree.stats()?.memoryBytes;
    if (limitBytes === null || bytes === undefined || bytes <= limitBytes) return;
    this.instance.dispatch({ type: 'memory-exceeded', bytes, limitBytes });
  }
}
