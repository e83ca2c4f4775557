// An instance's output capture: its stdout and stderr pipes read into the service's log, and
// the last stderr lines kept for `status`, with the telling ones of the current run.
import type { Readable } from 'node:stream';
import type { Stream } from '../../logs/format.js';
import { readOutput } from '../../effects/spawn/output-reader.js';
import type { OutputSink } from '../../logs/service-log.js';
import { TailBuffer } from '../../logs/tail-buffer.js';
import { TellingLines } from '../../logs/telling-lines.js';
import type { ReadinessProbe } from '../readiness/types.js';

/** stderr lines kept for `status`. */
const STDERR_LINES = 10;

/** The pipes of one instance being read, and its stderr tail. */
export class OutputCapture {
  readonly #sink: OutputSink;
  readonly #onError: (message: string) => void;
  readonly #stderr = new TailBuffer(STDERR_LINES);
  readonly #telling = new TellingLines();
  /** The output pipes being read (destroyed by detach: the next daemon reads them). */
  #pipes: Readable[] = [];

  /** Reads into `sink`; `onError` gets read errors, for the daemon log. */
  constructor(sink: OutputSink, onError: (message: string) => void) {
    this.#sink = sink;
    this.#onError = onError;
  }

  /** The kept stderr lines, oldest first. */
  stderrLines(): string[] {
    return this.#stderr.lines();
  }

  /** The telling stderr lines of the current (or last) run: its error's headline, its last line. */
  tellingStderr(): string[] {
    return this.#telling.lines();
  }

  /** A new run begins: its telling lines are picked from its own stderr. */
  beginRun(): void {
    this.#telling.clear();
  }

  /** Forgets the kept stderr lines (a new story begins). */
  clearStderr(): void {
    this.#stderr.clear();
    this.#telling.clear();
  }

  /**
   * Reads `pipe` (none: nothing to read) as `stream` of `instance` into the log; `probe` also
   * gets every line (a `ready.log` check; the fast path hands out only the tail).
   */
  read(
    pipe: Readable | null | undefined,
    instance: string,
    stream: Stream,
    probe: ReadinessProbe | undefined,
  ): void {
    if (pipe === null || pipe === undefined) return;
    const every = probe === undefined ? undefined : (line: string) => probe.line(stream, line);
    this.#pipes = [...this.#pipes.filter((p) => !p.destroyed), pipe];
    const tail =
      stream === 'err'
        ? (line: string) => {
            this.#stderr.push(line);
            this.#telling.push(line);
          }
        : undefined;
    const capture = this.#sink.open(instance, stream, tail, every);
    readOutput(pipe, capture, (error) => this.#onError(`reading ${stream}: ${error.message}`));
  }

  /** Stops reading: what is still in the pipes stays there for the next daemon. */
  destroy(): void {
    for (const pipe of this.#pipes) pipe.destroy();
    this.#pipes = [];
  }
}
