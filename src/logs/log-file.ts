// One service's log file: lines appended in order, each with a timestamp, instance and stream.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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

/** An append-only log file. Writes are queued in order; nothing is dropped while the daemon lives. */
export class LogFile {
  readonly path: string;
  #stream: WriteStream;
  #failed: string | undefined;

  /** Opens (creating directories as needed) `path` for appending. */
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#stream = this.#open();
  }

  /** Appends one line of `instance`'s `stream`, stamped with `time` (ms since the epoch). */
  write(time: number, instance: string, stream: Stream, text: string): void {
    this.#stream.write(formatLogLine(time, instance, stream, text));
  }

  /** The last write error (e.g. `ENOSPC`), if any. */
  get error(): string | undefined {
    return this.#failed;
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }

  #open(): WriteStream {
    const stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.#failed = error.code ?? error.message;
    });
    return stream;
  }
}
