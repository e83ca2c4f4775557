// The last lines of a stream, kept in memory for `status` (like daemontools' readproctitle).

/** Longest line kept by default, in UTF-16 code units, the `…` of a cut line included. */
export const MAX_TAIL_LINE_CHARS = 512;

/** Keeps the last `capacity` lines pushed, each cut to `maxLineChars` so status answers stay small. */
export class TailBuffer {
  readonly #capacity: number;
  readonly #maxLineChars: number;
  #lines: string[] = [];

  /**
   * @param capacity how many lines to keep
   * @param maxLineChars longest line kept (UTF-16 code units, at least 2); a longer one is cut
   *   and ends with `…`
   */
  constructor(capacity: number, maxLineChars = MAX_TAIL_LINE_CHARS) {
    this.#capacity = capacity;
    this.#maxLineChars = Math.max(2, maxLineChars);
  }

  /** Keeps `line` (cut if too long), forgetting the oldest one beyond the capacity. */
  push(line: string): void {
    this.#lines.push(cutLine(line, this.#maxLineChars));
    if (this.#lines.length > this.#capacity) this.#lines.shift();
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    return [...this.#lines];
  }

  /** Forgets every kept line. */
  clear(): void {
    this.#lines = [];
  }
}

/** Cuts `line` to `max` code units ending in `…`, never between the halves of a surrogate pair. */
export function cutLine(line: string, max = MAX_TAIL_LINE_CHARS): string {
  if (line.length <= max) return line;
  let end = max - 1;
  const last = line.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${line.slice(0, end)}…`;
}
