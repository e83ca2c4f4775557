// A virtual-time Clock for unit tests: time moves only when the test calls `advance`, and due
// timers fire in order (by due time, then by the order they were armed), never by real sleeps.
import type { Clock } from '../../src/core/clock.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A Clock whose time is set by the test. Handles are numbers. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, FakeTimer>();

  /** @param start the initial time, ms since the epoch */
  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): number {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return seq;
  }

  cancel(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  /** Timers armed and neither fired nor cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The due time of the earliest pending timer, or undefined when none is pending. */
  nextDueAt(): number | undefined {
    return this.#next()?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer due by then in order; `now()` reads each
   * timer's own due time while it runs. Timers armed by a callback fire too if due in the window.
   */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let t = this.#next(); t !== undefined && t.at <= target; t = this.#next()) {
      this.#timers.delete(t.seq);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = target;
  }

  /**
   * Moves time forward by `ms` and fires nothing, as a stopped event loop (SIGSTOP) lives it:
   * the timers due meanwhile fire late, at the next `advance`, each reading the time of then.
   */
  stall(ms: number): void {
    this.#now += ms;
  }

  /** Advances exactly to the next pending timer and fires everything due then. */
  advanceToNext(): void {
    const at = this.nextDueAt();
    if (at !== undefined) this.advance(at - this.#now);
  }

  #next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
