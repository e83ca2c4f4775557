// Cuts a byte stream into lines: a partial line is flushed after a quiet delay or at the end,
// and an over-long line is split, never dropped.
import { StringDecoder } from 'node:string_decoder';

/** Options of a LineSplitter. */
export interface SplitterOptions {
  /** Longest line kept whole (bytes of UTF-8, roughly); longer ones are cut. Default 16384. */
  maxLineBytes?: number;
  /** Quiet time after which a partial line is flushed (ms). Default 500. */
  partialFlushMs?: number;
}

/** Splits chunks into lines and calls `onLine` for each, in order, without the newline. */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #max: number;
  readonly #flushMs: number;
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(onLine: (line: string) => void, options: SplitterOptions = {}) {
    this.#onLine = onLine;
    this.#max = options.maxLineBytes ?? 16384;
    this.#flushMs = options.partialFlushMs ?? 500;
  }

  /** Feeds a chunk of output. */
  push(chunk: Buffer): void {
    this.#clearTimer();
    let text = this.#pending + this.#decoder.write(chunk);
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.#emit(text.slice(0, nl));
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    while (text.length > this.#max) {
      this.#onLine(text.slice(0, this.#max));
      text = text.slice(this.#max);
    }
    this.#pending = text;
    if (text !== '') {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Emits the partial line, if any (at exit, or after the quiet delay). */
  flush(): void {
    this.#clearTimer();
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#emit(rest);
  }

  #emit(line: string): void {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    for (let i = 0; i < clean.length || i === 0; i += this.#max) {
      this.#onLine(clean.slice(i, i + this.#max));
    }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
