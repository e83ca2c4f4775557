// The file of a log: opened for appending and never through a symbolic link; batches written by
// async write/writev (libuv's thread pool), so a slow disk never stalls the event loop; rotated
// by size: the older files shifted, `.1` compressed in the background if asked.
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  write as fsWrite,
  writev as fsWritev,
} from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { Chunk } from './log-queue.js';
import { gzipFile, shiftFiles, type RotationSpec } from './rotate.js';
import { errnoOf } from '../effects/ffi/errno.js';

/**
 * `a+` that never follows a symbolic link (O_NOFOLLOW: ELOOP), so that a link planted in the
 * home cannot make a root daemon append to another file (docs/security.md). Only the open
 * changes: writes cost what they did. Read too: `endsMidLine` reads the last byte.
 */
const OPEN_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const NL = 0x0a;

/** Told when a write ends: the errno of a failure, or the bytes written (maybe fewer). */
export type WriteDone = (error: NodeJS.ErrnoException | null, written: number) => void;

/** What a LogWriter is built from. */
export interface LogWriterOptions {
  rotation: RotationSpec;
  /** Delay before a rotation that failed is tried again (ms). */
  retryMs: number;
  clock: Clock;
  /** Told when a rotation or a compression fails (writing goes on). */
  onError: (message: string) => void;
}

/**
 * One log file's descriptor, size and rotation. Failures to open and write are the caller's to
 * handle (`open` throws, `write` reports to its callback); a failed rotation or compression is
 * told to `onError`, and writing goes on past `maxBytes` meanwhile.
 */
export class LogWriter {
  readonly path: string;
  /** Rotation from the next write on (a reload changes it). */
  rotation: RotationSpec;
  readonly #retryMs: number;
  readonly #clock: Clock;
  readonly #onError: (message: string) => void;
  #fd: number | null = null;
  #size = 0;
  #compressing: Promise<void> = Promise.resolve();
  /** Until then (ms since the epoch), a rotation that failed is not tried again. */
  #rotateAfter = 0;

  constructor(path: string, options: LogWriterOptions) {
    this.path = path;
    this.rotation = options.rotation;
    this.#retryMs = options.retryMs;
    this.#clock = options.clock;
    this.#onError = options.onError;
  }

  /** True while a file is open. */
  get isOpen(): boolean {
    return this.#fd !== null;
  }

  /** Bytes the open file may take before it is rotated (Infinity: never rotated). */
  get room(): number {
    const max = this.rotation.maxBytes;
    return max === null ? Infinity : max - this.#size;
  }

  /**
   * True when a line longer than `room` is written whole rather than after a rotation: in an
   * empty file (the file may exceed max_size by less than one line), and while a rotation that
   * failed waits to be tried again.
   */
  mayOverrun(): boolean {
    return this.#size === 0 || (this.#rotateAfter !== 0 && this.#clock.now() < this.#rotateAfter);
  }

  /**
   * Opens `path` (mode 0600), closing the file open before.
   * @throws Error from openSync (`ELOOP` for a symbolic link, `EACCES`, `ENOSPC`...)
   */
  open(): void {
    this.close();
    this.#fd = openSync(this.path, OPEN_FLAGS, 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  /** Closes the file, if open. */
  close(): void {
    if (this.#fd === null) return;
    try {
      closeSync(this.#fd);
    } catch {
      // EIO on close: the data is as lost as it will ever be; the failure was counted on write
    }
    this.#fd = null;
  }

  /**
   * Appends the data of `batch` (one write, or one writev) to the open file; `done` is called
   * once it is written, in part (a short write), or failed (`ENOSPC`, `EIO`...).
   */
  write(batch: readonly Chunk[], done: WriteDone): void {
    const fd = this.#fd;
    if (fd === null) throw new Error(`internal: write to ${this.path} while it is closed`);
    const counted: WriteDone = (error, written) => {
      if (error === null) this.#size += written;
      done(error, written);
    };
    if (batch.length === 1) {
      const data = (batch[0] as Chunk).data;
      fsWrite(fd, data, 0, data.length, null, counted);
    } else {
      fsWritev(
        fd,
        batch.map((c) => c.data),
        counted,
      );
    }
  }

  /**
   * True when the open file ends mid-line (a short write before `ENOSPC` can leave half a line):
   * a marker then starts a line of its own.
   */
  endsMidLine(): boolean {
    if (this.#fd === null || this.#size === 0) return false;
    const last = Buffer.alloc(1);
    try {
      return readSync(this.#fd, last, 0, 1, this.#size - 1) === 1 && last[0] !== NL;
    } catch {
      return false; // EIO: a marker on the same line is still readable
    }
  }

  /**
   * Closes the file and shifts it to `path.1` (older ones to `.2`... `.keep`); with `compress`,
   * gzips `path.1` in the background. The caller opens the new file. A failure (`EACCES`,
   * `EXDEV`...) is told to `onError` and leaves the old file in place, written on past its size
   * until the rotation is tried again `retryMs` later.
   */
  async rotate(): Promise<void> {
    const { keep, compress } = this.rotation;
    try {
      await this.#compressing;
      this.close();
      await shiftFiles(this.path, keep);
      if (compress && keep > 0) this.#compressing = this.#compress(`${this.path}.1`);
    } catch (error) {
      this.#onError(`cannot rotate ${this.path}: ${describe(error)}; writing on past max_size`);
      this.#rotateAfter = this.#clock.now() + this.#retryMs;
    }
  }

  /** Resolves once a compression in progress is done (it never fails: see `onError`). */
  compressed(): Promise<void> {
    return this.#compressing;
  }

  async #compress(file: string): Promise<void> {
    try {
      await gzipFile(file);
    } catch (error) {
      this.#onError(`cannot compress ${file}: ${describe(error)}; left uncompressed`);
    }
  }
}

/** An errno name such as `ENOSPC`, else the message. */
export function describe(error: unknown): string {
  if (error instanceof Error) return errnoOf(error) ?? error.message;
  return String(error);
}
