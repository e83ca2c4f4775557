// Newline-delimited JSON framing over a byte stream, with a bound on line length.
import { StringDecoder } from 'node:string_decoder';

/** Longest request or response line accepted (bytes, roughly). */
export const MAX_LINE = 1024 * 1024;

/**
 * Splits a stream into NDJSON lines. `onLine` gets each complete line's text; `onOverflow` is
 * called once when a line exceeds `max` characters, after which input is ignored.
 */
export class LineReader {
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';
  #overflowed = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly max = MAX_LINE,
  ) {}

  push(chunk: Buffer): void {
    if (this.#overflowed) return;
    this.#buffer += this.#decoder.write(chunk);
    let nl = this.#buffer.indexOf('\n');
    while (nl !== -1) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.trim() !== '') this.onLine(line);
      nl = this.#buffer.indexOf('\n');
    }
    if (this.#buffer.length > this.max) {
      this.#overflowed = true;
      this.#buffer = '';
      this.onOverflow();
    }
  }
}

/** Encodes one message as a line. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
