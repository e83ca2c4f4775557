// One service's log file: lines appended in order, each with a timestamp, instance and stream.
import {
  closeSync,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  type WriteStream,
} from 'node:fs';
import { dirname } from 'node:path';

/** Which output of the instance a line came from. */
export type Stream = 'out' | 'err';

/**
 * Formats one log line: `2026-11-21T08:30:00.123Z web:0 err | text`.
 * @param time ms since the epoch (printed as ISO 8601 UTC with ms)
 */
export function formatLogLine(
  time: number,
  instance: string,
  stream: Stream,
  text: string,
): string {
  return `${new Date(time).toISOString()} ${instance} ${stream} | ${text}\n`;
}

/** Parses a line written by formatLogLine; undefined for anything else. */
export function parseLogLine(
  line: string,
): { time: number; instance: string; stream: Stream; text: string } | undefined {
  const m = /^(\S+) (\S+) (out|err) \| (.*)$/s.exec(line);
  if (m === null) return undefined;
  const time = Date.parse(m[1] ?? '');
  if (Number.isNaN(time)) return undefined;
  return { time, instance: m[2] ?? '', stream: m[3] as Stream, text: m[4] ?? '' };
}

/** Least time between two attempts to reopen a file that failed (ms). */
const REOPEN_EVERY_MS = 1000;

/** One failure episode: from the first failed write until a marker line is written again. */
interface Failure {
  /** errno name of the first error (`ENOSPC`), else its message. */
  reason: string;
  /** Lines lost in this episode that no marker line has reported yet. */
  dropped: number;
}

/**
 * An append-only log file. Writes are queued in order. When writing fails (`ENOSPC`, `EIO`...)
 * lines are dropped and counted, `onError` is told once, and the file is reopened on a later
 * write (at most once a second); the first line that then reaches the file is a marker
 * `warden: dropped N lines (ENOSPC)`.
 */
export class LogFile {
  readonly path: string;
  readonly #onError: ((message: string) => void) | undefined;
  #stream: WriteStream;
  /** When #stream was opened (ms since the epoch). */
  #openedAt = 0;
  #failure: Failure | undefined;
  #dropped = 0;
  #isClosed = false;

  /**
   * Opens (creating directories as needed, mode 0700) `path` for appending (mode 0600).
   * @param onError told once per failure episode, e.g. `cannot write /x/web.log: ENOSPC;
   *   dropping lines until it works again`
   * @throws Error from mkdirSync when the directory cannot be created (`EACCES`)
   */
  constructor(path: string, onError?: (message: string) => void) {
    this.path = path;
    this.#onError = onError;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#stream = this.#open();
  }

  /**
   * Appends one line of `instance`'s `stream`, stamped with `time` (ms since the epoch). After a
   * failure the line is dropped and counted, unless a reopen is due (one per second).
   */
  write(time: number, instance: string, stream: Stream, text: string): void {
    if (this.#isClosed) {
      this.#dropped++;
      return;
    }
    if (this.#isBroken() && !this.#reopen(time, instance)) {
      this.#lose();
      return;
    }
    this.#put(formatLogLine(time, instance, stream, text));
  }

  /** Why writing fails (an errno name such as `ENOSPC`), or undefined while it works. */
  get error(): string | undefined {
    return this.#failure?.reason;
  }

  /** Lines lost since the file was opened: to write failures (a marker reports them) or after close. */
  get droppedLines(): number {
    return this.#dropped;
  }

  /** Flushes and closes the file; later writes are dropped. */
  close(): Promise<void> {
    this.#isClosed = true;
    if (this.#isBroken()) return Promise.resolve();
    return new Promise((resolve) => this.#stream.end(resolve));
  }

  #open(): WriteStream {
    this.#openedAt = Date.now();
    const stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (stream === this.#stream) this.#fail(error);
    });
    return stream;
  }

  #isBroken(): boolean {
    return this.#stream.destroyed || this.#stream.errored !== null;
  }

  // Opens the file again if a second has passed, writing the marker line first; false if not due.
  #reopen(time: number, instance: string): boolean {
    if (Date.now() - this.#openedAt < REOPEN_EVERY_MS) return false;
    const failure = this.#failure;
    const cut = endsMidLine(this.path) ? '\n' : '';
    this.#stream = this.#open();
    if (failure === undefined) return true;
    const count = failure.dropped;
    const text = `warden: dropped ${count} lines (${failure.reason})`;
    this.#stream.write(cut + formatLogLine(time, instance, 'err', text), (error) => {
      if (error !== null && error !== undefined) {
        this.#fail(error);
      } else if (this.#failure === failure) {
        this.#failure = undefined;
      }
    });
    return true;
  }

  #put(line: string): void {
    this.#stream.write(line, (error) => {
      if (error === null || error === undefined) return;
      this.#fail(error);
      this.#lose();
    });
  }

  #fail(error: NodeJS.ErrnoException): void {
    if (this.#failure !== undefined) return;
    const reason = error.code ?? error.message;
    this.#failure = { reason, dropped: 0 };
    this.#onError?.(`cannot write ${this.path}: ${reason}; dropping lines until it works again`);
  }

  #lose(): void {
    this.#dropped++;
    if (this.#failure !== undefined) this.#failure.dropped++;
  }
}

// A failed write can leave half a line (a short write before ENOSPC); the marker starts a new one.
function endsMidLine(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      return size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
