// Promises that resolve once a condition on a value holds (Runner.until): checked when made and
// after every change the owner reports.

/** The waiters of one value of type T. */
export class Waiters<T> {
  #waiting: { test: (value: T) => boolean; done: () => void }[] = [];

  /**
   * Resolves once `test` holds for the value (`now`, then each value given to `settle`), or
   * once `signal` aborts (then the waiter is dropped, so abandoned waits hold no memory).
   */
  until(now: T, test: (value: T) => boolean, signal?: AbortSignal): Promise<void> {
    if (test(now) || signal?.aborted === true) return Promise.resolve();
    return new Promise((done) => {
      const waiter = { test, done };
      this.#waiting.push(waiter);
      signal?.addEventListener('abort', () => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        done();
      });
    });
  }

  /** The value changed to `value`: resolves the waiters whose test now holds. */
  settle(value: T): void {
    if (this.#waiting.length === 0) return;
    this.#waiting = this.#waiting.filter((w) => (w.test(value) ? (w.done(), false) : true));
  }
}
