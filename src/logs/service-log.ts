// The log of one service: its file and the captures of every instance's stdout and stderr.
import type { LogSpec } from '../config/types.js';
import type { LogHealth } from '../core/status.js';
import type { StreamCapture } from '../effects/spawn/output-reader.js';
import { Capture } from './capture.js';
import { DEFAULT_FORMAT, type LineFormat, type Stream } from './format.js';
import { LogFile } from './log-file.js';

export type { StreamCapture };

/** Where the runner sends its instance's output. */
export interface OutputSink {
  /**
   * Starts capturing one stream of `instance`. `onLine` receives at least the last 64 lines of
   * each chunk read (the stderr tail of `status` and its telling lines).
   */
  open(
    instance: string,
    stream: Stream,
    onLine?: (line: string) => void,
    onEveryLine?: (line: string) => void,
  ): StreamCapture;
  /** Dropped lines and write errors of the log. */
  health(): LogHealth;
}

/** What a ServiceLog is built from. */
export interface ServiceLogOptions {
  /** The time of a chunk read (ms since the epoch). */
  now: () => number;
  /** The daemon log. */
  onError: (message: string) => void;
  /** Also receives every line (foreground `warden run`). */
  echo?: (time: number, instance: string, stream: Stream, line: string) => void;
}

/** One service's log file and the captures writing to it. */
export class ServiceLog implements OutputSink {
  readonly file: LogFile;
  /** Lines captured since the log was created, by stream (`GET /metrics`). */
  readonly lines: Record<Stream, number> = { out: 0, err: 0 };
  #spec: LogSpec;
  readonly #o: ServiceLogOptions;

  /** @throws Error when the log directory cannot be created (`EACCES`) */
  constructor(path: string, spec: LogSpec, options: ServiceLogOptions) {
    this.#spec = spec;
    this.#o = options;
    this.file = new LogFile(path, {
      rotation: { maxBytes: spec.maxBytes, keep: spec.keep, compress: spec.compress },
      format: formatOf(spec),
      onError: options.onError,
    });
  }

  open(
    instance: string,
    stream: Stream,
    onLine?: (line: string) => void,
    onEveryLine?: (line: string) => void,
  ): StreamCapture {
    // Opened with the first capture, in the same turn as the start whose fds were counted with it
    // (fd-budget.ts), not later by a line when other starts may have taken the fds.
    this.file.open();
    const echo = this.#o.echo;
    return new Capture({
      instance,
      stream,
      format: formatOf(this.#spec),
      maxLineBytes: this.#spec.maxLineBytes,
      now: this.#o.now,
      write: (data, lines) => {
        this.lines[stream] += lines;
        this.file.append(data, lines);
      },
      room: () => this.file.room(),
      ...(onLine === undefined ? {} : { onLine }),
      ...(onEveryLine === undefined ? {} : { onEveryLine }),
      ...(echo === undefined ? {} : { echo: (time, line) => echo(time, instance, stream, line) }),
    });
  }

  /** A reload changed the service's `logs`: rotation from the next write, the rest for new captures. */
  update(spec: LogSpec): void {
    this.#spec = spec;
    this.file.rotation = { maxBytes: spec.maxBytes, keep: spec.keep, compress: spec.compress };
  }

  health(): LogHealth {
    return this.file.health();
  }

  /** Reopens the file (after an external logrotate renamed it). */
  reopen(): Promise<void> {
    return this.file.reopen();
  }

  /** Writes what is queued and closes the file. */
  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * A sink that hands every line to `onLine` and writes no file (tests, tools).
 * @param now the time of a chunk read (ms since the epoch)
 */
export function lineSink(
  onLine: (time: number, instance: string, stream: Stream, line: string) => void,
  now: () => number,
): OutputSink {
  return {
    open: (instance, stream, tail) =>
      new Capture({
        instance,
        stream,
        format: DEFAULT_FORMAT,
        maxLineBytes: 16384,
        now,
        write: () => undefined,
        ...(tail === undefined ? {} : { onLine: tail }),
        echo: (time, line) => onLine(time, instance, stream, line),
      }),
    health: () => ({ droppedLines: 0, error: null }),
  };
}

function formatOf(spec: LogSpec): LineFormat {
  return { kind: spec.format, time: spec.time };
}
