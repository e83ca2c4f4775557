// The trees an earlier daemon of this home left running: each taken back by its instance, and
// what no instance claims (a removed service, a surplus instance, a duplicate) stopped.
import type { Leftovers } from '../leftovers.js';
import type { Runner } from '../runner/runner.js';
import { stopLeftovers, type LeftoverStopper } from '../stop-leftovers.js';

/** A supervisor's leftover trees and the stops of those no instance took. */
export class LeftoverTrees {
  /** The trees not yet taken back or stopped. */
  readonly found: Leftovers;
  readonly #stopper: LeftoverStopper;
  #stopping: Promise<void> = Promise.resolve();

  constructor(found: Leftovers, stopper: LeftoverStopper) {
    this.found = found;
    this.#stopper = stopper;
  }

  /** Lets the `runners` that run nothing take back their trees, then stops the rest. */
  takeBack(runners: () => readonly Runner[]): void {
    if (this.found.size === 0) return;
    for (const r of runners()) r.claim(this.found);
    this.stopRest();
  }

  /** Stops every tree left (awaited by `stopped`). */
  stopRest(): void {
    const trees = this.found.takeAll();
    if (trees.length === 0) return;
    const stopping = stopLeftovers(trees, this.#stopper);
    this.#stopping = Promise.all([this.#stopping, stopping]).then(() => undefined);
  }

  /** Resolves once every stop begun so far is done. */
  stopped(): Promise<void> {
    return this.#stopping;
  }
}
