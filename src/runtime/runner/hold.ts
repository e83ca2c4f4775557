// What an instance holds of its processes: its tree (containment), its main process (a child,
// or one taken back from an earlier daemon and watched), and the wait for the tree to empty.
import type { SignalName } from '../../core/signals.js';
import type { InstanceTree } from '../../effects/containment/containment.js';
import type { ProcInfo } from '../../effects/containment/proc.js';
import type { ServiceProcess } from '../../effects/spawn/spawn.js';
import type { Clock } from '../../core/clock.js';
import type { ProcessRecord } from '../../effects/containment/leftovers.js';
import type { SpawnedMain } from './spawn.js';

/** How often the tree is checked for emptiness once the main process is gone (ms). */
const TREE_POLL_MS = 25;

/** One instance's hold on its processes. */
export class ProcessHold {
  /** The instance's tree, kept across its restarts. */
  readonly tree: InstanceTree;
  readonly #clock: Clock;
  readonly #onError: (message: string) => void;
  /** A main process was attached to (or adopted into) the tree. */
  #attached = false;
  #child: ServiceProcess | undefined;
  /** The current main process as state.json records it; undefined when there is none. */
  #process: ProcessRecord | undefined;
  #startedAt: number | null = null;
  #exitWatch: { cancel(): void } | undefined;
  #treePoll: unknown;
  #survivors: number[] = [];

  /** Holds `tree`, polling on `clock`; `onError` gets failed signals, for the daemon log. */
  constructor(tree: InstanceTree, clock: Clock, onError: (message: string) => void) {
    this.tree = tree;
    this.#clock = clock;
    this.#onError = onError;
  }

  /** True once a main process was attached to or adopted into the tree. */
  get isAttached(): boolean {
    return this.#attached;
  }

  /** The main process as state.json records it; undefined when unknown. */
  get process(): ProcessRecord | undefined {
    return this.#process;
  }

  /** When the main process was spawned (ms since the epoch); null before any. */
  get startedAt(): number | null {
    return this.#startedAt;
  }

  /** Pids that outlived SIGKILL at the last stop, which warden stopped waiting for; else []. */
  get survivors(): number[] {
    return [...this.#survivors];
  }

  /**
   * The core stopped waiting for the tree (it outlived SIGKILL): notes which pids are left.
   * @returns those pids
   */
  giveUp(): number[] {
    this.#survivors = this.members().map((p) => p.pid);
    return this.#survivors;
  }

  /** A new stop or start: earlier survivors no longer tell of this one. */
  forgetSurvivors(): void {
    this.#survivors = [];
  }

  /** True while `child` is the current spawned main process. */
  isChild(child: ServiceProcess): boolean {
    return this.#child === child;
  }

  /** A spawn is about to replace the main process: its old record no longer applies. */
  forgetProcess(): void {
    this.#process = undefined;
  }

  /** The main process `spawned` runs, attached to the tree. */
  spawned(spawned: SpawnedMain): void {
    this.#child = spawned.child;
    this.#attached = true;
    this.#startedAt = spawned.startedAt;
    this.#process = spawned.process;
  }

  /** Process `p` of an earlier daemon is held again (its tree adopted). */
  heldAgain(p: ProcessRecord): void {
    this.#attached = true;
    this.#process = p;
    this.#startedAt = p.startedAt;
  }

  /** Watches the end of a main process that is not the daemon's child. */
  watching(watch: { cancel(): void } | undefined): void {
    this.#exitWatch = watch;
  }

  /** Sends `signal` to every process of the tree; a failure goes to the daemon log. */
  signalTree(signal: SignalName): void {
    if (!this.#attached) return;
    try {
      this.tree.signal(signal);
    } catch (error) {
      this.#onError(`${signal} to the tree failed: ${String(error)}`);
    }
  }

  /** The live processes of the tree; [] before any was held. */
  members(): ProcInfo[] {
    return this.#attached ? this.tree.members() : [];
  }

  /** True when `pid` belongs to the held tree. */
  contains(pid: number): boolean {
    return this.#attached && this.tree.contains(pid);
  }

  /**
   * Calls `onGone` once the tree is empty (its main process gone), checking every TREE_POLL_MS
   * while `isWaited` holds; a new call replaces the wait.
   */
  awaitEmpty(isWaited: () => boolean, onGone: () => void): void {
    const check = (): void => {
      this.#treePoll = undefined;
      if (!isWaited()) return;
      if (this.#attached) this.tree.sweep();
      if (this.#attached && !this.tree.isEmpty()) {
        this.#treePoll = this.#clock.after(TREE_POLL_MS, check);
        return;
      }
      this.tree.release();
      onGone();
    };
    if (this.#treePoll !== undefined) this.#clock.cancel(this.#treePoll);
    check();
  }

  /** Lets the processes run on without this daemon: no watch, no poll, no handle kept. */
  letGo(): void {
    this.#exitWatch?.cancel();
    this.#exitWatch = undefined;
    if (this.#treePoll !== undefined) this.#clock.cancel(this.#treePoll);
    // The daemon may exit while its child runs on (its handle would keep the loop alive).
    this.#child?.unref();
    for (const pipe of this.#child?.stdio ?? []) pipe?.destroy();
  }
}
