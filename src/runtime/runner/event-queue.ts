/**
 * Handles events one at a time, in the order they come (run to completion): an event raised while
 * another is handled (an effect that dispatches) waits until that one is done.
 */
export class EventQueue<E> {
  readonly #queue: E[] = [];
  #busy = false;

  constructor(private readonly handle: (event: E) => void) {}

  /** Handles `event` now, or after the events before it when one is being handled. */
  push(event: E): void {
    this.#queue.push(event);
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        this.handle(next);
      }
    } finally {
      this.#busy = false;
    }
  }
}
