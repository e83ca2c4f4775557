// The lines a filter kept while a log was searched backward, held so that a search whose
// matches are few prints them without reading the log a second time. Bounded: past a byte
// budget they are let go, and the lines are read again from the files instead.
import type { LineCursor } from './file-lines.js';

/** Bytes of kept lines held at most (each line also counts a rough per-object overhead). */
export const KEPT_BUDGET = 8 * 1024 * 1024;
/** Bytes of the shared buffers lines are copied into. */
const CHUNK = 256 * 1024;
/** Bytes each line costs besides its own (its place in the index). */
const PER_LINE = 24;

/**
 * Lines found newest first, given back oldest first. Their bytes are copied into large shared
 * buffers (no object per line), so that the budget bounds the memory they take.
 */
export class KeptLines {
  #chunks: Buffer[] | undefined = [];
  #chunk = Buffer.alloc(0);
  #pos = 0;
  /** Per line: its chunk, and where it starts and ends in it. */
  #at: number[] = [];
  #bytes = 0;
  readonly #budget: number;

  /** `budget`: bytes held at most before the lines are let go (see KEPT_BUDGET). */
  constructor(budget = KEPT_BUDGET) {
    this.#budget = budget;
  }

  /** Whether every line added is still held. */
  get isWhole(): boolean {
    return this.#chunks !== undefined;
  }

  /** Adds `line`, older than every line added before it; lets all go past the budget. */
  add(line: string): void {
    const chunks = this.#chunks;
    if (chunks === undefined) return;
    // At most 3 UTF-8 bytes per UTF-16 unit: a line always fits in the room checked here.
    if (this.#chunk.length - this.#pos < 3 * line.length || chunks.length === 0) {
      const size = Math.max(Math.min(CHUNK, this.#budget >> 2), 3 * line.length);
      this.#bytes += size;
      if (this.#bytes > this.#budget) return this.letGo();
      this.#chunk = Buffer.allocUnsafe(size);
      this.#pos = 0;
      chunks.push(this.#chunk);
    }
    const start = this.#pos;
    this.#pos += this.#chunk.write(line, start, 'utf8');
    this.#at.push(chunks.length - 1, start, this.#pos);
    this.#bytes += PER_LINE;
    if (this.#bytes > this.#budget) this.letGo();
  }

  /** Gives up holding lines (they are to be read again from the files). */
  letGo(): void {
    this.#chunks = undefined;
    this.#chunk = Buffer.alloc(0);
    this.#at = [];
  }

  /** The lines held, oldest first; undefined when they were let go. */
  cursor(): LineCursor | undefined {
    const chunks = this.#chunks;
    if (chunks === undefined) return undefined;
    const at = this.#at;
    let i = at.length;
    const cursor: LineCursor = {
      buf: Buffer.alloc(0),
      start: 0,
      end: 0,
      next: () => {
        if (i === 0) return false;
        i -= 3;
        cursor.buf = chunks[at[i] as number] as Buffer;
        cursor.start = at[i + 1] as number;
        cursor.end = at[i + 2] as number;
        return true;
      },
    };
    return cursor;
  }
}
