// Newline-delimited JSON framing over a byte stream: bounded lines, and a cheap nesting-depth
// check that runs before JSON.parse.

/** Longest request line the daemon reads (bytes): room for the config `up` sends (docs/protocol.md). */
export const MAX_REQUEST_LINE = 32 * 1024 * 1024;

/**
 * Longest answer line a client reads (bytes). An answer grows with the fleet (`status` of 3,600
 * instances is ~3 MB); V8 cannot make a string of more than ~512 MiB, so this is the ceiling.
 */
export const MAX_ANSWER_LINE = 256 * 1024 * 1024;

/** Deepest nesting of arrays and objects a request may have (a config document needs ~10). */
export const MAX_DEPTH = 64;

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines. Lines are taken one at a time (`shift`), so a reader can stop
 * taking them (and stop reading its socket) while it is busy. An unfinished line may hold at most
 * `max` bytes; past that the reader is `overflowed` and ignores further input.
 */
export class LineReader {
  readonly #lines: Buffer[] = [];
  // The unfinished line, in the chunks it came in (joined once its newline arrives).
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #linesBytes = 0;
  #overflowed = false;

  constructor(private readonly max: number) {}

  /** Adds a chunk. @returns false once the unfinished line exceeds the bound */
  push(chunk: Buffer): boolean {
    if (this.#overflowed) return false;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      // A copy: a view would keep the whole 64 KiB read buffer alive while the line waits.
      const line = Buffer.concat([...this.#partial, chunk.subarray(start, nl)]);
      this.#partial = [];
      this.#partialBytes = 0;
      start = nl + 1;
      if (line.length > this.max) return this.#overflow();
      this.#lines.push(line);
      this.#linesBytes += line.length;
    }
    if (start < chunk.length) {
      this.#partial.push(Buffer.from(chunk.subarray(start)));
      this.#partialBytes += chunk.length - start;
      if (this.#partialBytes > this.max) return this.#overflow();
    }
    return true;
  }

  /** The next complete line that is not blank, or undefined. */
  shift(): Buffer | undefined {
    for (let line = this.#lines.shift(); line !== undefined; line = this.#lines.shift()) {
      this.#linesBytes -= line.length;
      if (!isBlank(line)) return line;
    }
    return undefined;
  }

  /** True when a complete line waits to be taken. */
  get hasLines(): boolean {
    return this.#lines.length > 0;
  }

  /** Bytes held: complete lines not taken yet and the unfinished line. */
  get heldBytes(): number {
    return this.#linesBytes + this.#partialBytes;
  }

  #overflow(): false {
    this.#overflowed = true;
    this.#lines.length = 0;
    this.#partial = [];
    this.#partialBytes = 0;
    this.#linesBytes = 0;
    return false;
  }
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

/**
 * True when `line` nests arrays and objects deeper than `max`. A byte scan (brackets outside
 * strings; UTF-8 continuation bytes never look like ASCII), so a deep line is refused before
 * JSON.parse builds it: one 1 MB line of `[` once cost the daemon 110 MB that it kept.
 */
export function isTooDeep(line: Uint8Array, max = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}

/** Encodes one message as a line. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
