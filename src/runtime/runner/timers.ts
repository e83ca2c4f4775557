// The pending timers of one instance (the core's `set-timer` and `clear-timers` effects): at
// most one of each name, each told when it was due so that its lateness can be judged.
import type { TimerName } from '../../core/instance.js';
import type { Clock } from '../../core/clock.js';

/** An instance's timers on `clock`; `onFire` gets each one that fires and when it was due (ms). */
export class InstanceTimers {
  readonly #clock: Clock;
  readonly #onFire: (timer: TimerName, dueAt: number) => void;
  readonly #handles = new Map<TimerName, unknown>();

  constructor(clock: Clock, onFire: (timer: TimerName, dueAt: number) => void) {
    this.#clock = clock;
    this.#onFire = onFire;
  }

  /** Arms `timer` to fire after `delayMs` (ms), replacing one of the same name. */
  set(timer: TimerName, delayMs: number): void {
    const old = this.#handles.get(timer);
    if (old !== undefined) this.#clock.cancel(old);
    const dueAt = this.#clock.now() + delayMs;
    const handle = this.#clock.after(delayMs, () => {
      this.#handles.delete(timer);
      this.#onFire(timer, dueAt);
    });
    this.#handles.set(timer, handle);
  }

  /** True while `timer` is armed. */
  has(timer: TimerName): boolean {
    return this.#handles.has(timer);
  }

  /** Disarms every timer. */
  clear(): void {
    for (const handle of this.#handles.values()) this.#clock.cancel(handle);
    this.#handles.clear();
  }
}
