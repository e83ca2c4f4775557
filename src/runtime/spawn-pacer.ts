// Spawns in slices of the event loop. A spawn is synchronous (a fork server's round trip, or
// posix_spawn) and takes 1 to 5 ms on a loaded machine; a bring-up of 5,000 instances in one
// turn held the event loop for 20 s, and no control request, exit or log line was handled
// meanwhile. The pacer lets SPAWNS_PER_TURN spawns run at once in a turn and queues the rest,
// first come first served, for the next turns (setImmediate: I/O is polled in between).

/** Spawns run in one event-loop turn at most (a few tens of ms at most); the rest wait a turn. */
export const SPAWNS_PER_TURN = 16;

/** Runs spawn jobs now, or in a later turn of the event loop once a turn has had its share. */
export interface SpawnPace {
  /** Runs `job` now if this turn has room, else after the jobs queued before it. */
  run(job: () => void): void;
}

/** No pacing: every job runs at once (a runner built alone, in tests). */
export const UNPACED: SpawnPace = { run: (job) => job() };

/** The pacer of one supervisor: at most `perTurn` jobs a turn, in the order they came. */
export class SpawnPacer implements SpawnPace {
  readonly #perTurn: number;
  readonly #queue: (() => void)[] = [];
  /** Jobs run in the current turn. */
  #ran = 0;
  /** A setImmediate is pending: it starts the next turn's count (and runs what waits). */
  #turnEnds = false;

  constructor(perTurn = SPAWNS_PER_TURN) {
    this.#perTurn = perTurn;
  }

  run(job: () => void): void {
    if (this.#queue.length === 0 && this.#ran < this.#perTurn) {
      this.#count();
      job();
      return;
    }
    this.#queue.push(job);
    this.#count(0);
  }

  /** Jobs waiting for a later turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  // Counts `n` jobs run in this turn, and makes sure the turn's end is seen.
  #count(n = 1): void {
    this.#ran += n;
    if (this.#turnEnds) return;
    this.#turnEnds = true;
    setImmediate(this.#nextTurn);
  }

  #nextTurn = (): void => {
    this.#turnEnds = false;
    this.#ran = 0;
    const now = this.#queue.splice(0, this.#perTurn);
    if (now.length > 0) this.#count(0);
    for (const job of now) {
      this.#ran++;
      job();
    }
  };
}
