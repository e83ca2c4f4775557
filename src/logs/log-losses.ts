// What a log file lost: lines counted, each kind of loss told once to the daemon log, and the
// text of the marker lines (`warden: dropped N lines (REASON)`) that report them in the file.
import type { Chunk } from './log-queue.js';

/** A failure episode: from a failed write (or open) to the marker that reports its losses. */
interface Failure {
  /** An errno name such as `ENOSPC`. */
  reason: string;
  /** Lines lost in this episode that no marker has reported yet. */
  dropped: number;
  /** A marker write is in flight: lines are queued again meanwhile. */
  isRetrying: boolean;
}

/** The losses of one log file, `path`, told to `onError` (the daemon log). */
export class LogLosses {
  readonly #path: string;
  readonly #onError: (message: string) => void;
  #dropped = 0;
  /** Lines refused by a full queue that no marker has reported yet. */
  #overflow = 0;
  #failure: Failure | undefined;

  constructor(path: string, onError: (message: string) => void) {
    this.#path = path;
    this.#onError = onError;
  }

  /** Lines lost since the file was opened. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Why writing fails (an errno name), or undefined while it works. */
  get reason(): string | undefined {
    return this.#failure?.reason;
  }

  /** True while writing fails and no marker is being written: lines are dropped, not queued. */
  get isDropping(): boolean {
    return this.#failure !== undefined && !this.#failure.isRetrying;
  }

  /** True while `overflowMarker` has lines to report. */
  get hasOverflow(): boolean {
    return this.#overflow > 0;
  }

  /** Counts `lines` lost where no marker will report them (the file is closed). */
  lost(lines: number): void {
    this.#dropped += lines;
  }

  /** Counts `lines` dropped while writing fails, for the marker of the episode. */
  droppedInFailure(lines: number): void {
    this.#dropped += lines;
    if (this.#failure !== undefined) this.#failure.dropped += lines;
  }

  /** Counts `lines` refused by the full queue; the first of a series is told. */
  overflowed(lines: number): void {
    if (this.#overflow === 0)
      this.#onError(
        `log queue of ${this.#path} is full (the disk is slower than the output); dropping lines`,
      );
    this.#overflow += lines;
    this.#dropped += lines;
  }

  /** The marker reporting the lines refused by the full queue, and their number; then 0 again. */
  overflowMarker(): { text: string; reports: number } {
    const reports = this.#overflow;
    this.#overflow = 0;
    return { text: `warden: dropped ${reports} lines (log queue full)`, reports };
  }

  /**
   * Starts (or continues) a failure episode in which `chunks` were lost. A lost marker is not a
   * lost line of the service: what it reported goes into the next marker instead, so that the
   * markers in the file add up to `dropped` exactly. The start of an episode is told.
   */
  failed(reason: string, chunks: readonly Chunk[]): void {
    let lines = 0;
    let reported = 0;
    for (const c of chunks) {
      if (c.reports > 0) reported += c.reports;
      else lines += c.lines;
    }
    this.#dropped += lines;
    if (this.#failure === undefined) {
      this.#failure = { reason, dropped: 0, isRetrying: false };
      this.#onError(`cannot write ${this.#path}: ${reason}; dropping lines until it works again`);
    }
    this.#failure.dropped += lines + reported;
    this.#failure.isRetrying = false;
  }

  /**
   * The text of the marker that ends the failure episode, undefined when there is none; lines
   * are queued again meanwhile.
   */
  retry(): string | undefined {
    const failure = this.#failure;
    if (failure === undefined) return undefined;
    failure.isRetrying = true;
    return `warden: dropped ${failure.dropped} lines (${failure.reason})`;
  }

  /** The marker `text` is written: the episode is over (and told). */
  recovered(text: string): void {
    this.#failure = undefined;
    this.#onError(`writing ${this.#path} again (${text})`);
  }
}
