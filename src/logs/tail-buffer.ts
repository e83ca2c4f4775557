// The last lines of a stream, kept in memory for `status` (like daemontools' readproctitle).

/** Keeps the last `capacity` lines pushed. */
export class TailBuffer {
  readonly #capacity: number;
  #lines: string[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.#capacity) this.#lines.shift();
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    return [...this.#lines];
  }

  clear(): void {
    this.#lines = [];
  }
}
