// The report pipe of a cgroup start through warden-spawner: the new process writes
// `exec ERRNO` on it if its exec fails, and its end closes at a successful exec (close-on-exec).
// A start's report is read once its process ended; but holding its read end for the instance's
// whole life cost one fd an instance, which at 5,000 instances was past a 20,000-fd limit. So
// the reports still open are swept a little after their start: one at EOF is read and closed
// then, and its process's end needs no fd.
import { closeSync, readSync } from 'node:fs';
import { SyscallError } from '../ffi/errno.js';
import { setNonBlocking } from '../ffi/fds.js';

/** How often the reports still open are looked at (ms), while there are any. */
export const REPORT_SWEEP_MS = 100;

/**
 * What the text of a start's report says, once its process ended or its report reached EOF:
 * undefined when the exec happened, else the SyscallError of the step that failed, which the new
 * process wrote before it exited: `execve` (ENOENT, EACCES...), `chdir` (a cwd its user may not
 * enter), `setresuid`, `setgroups`, `setrlimit`... (native/warden-spawner.c).
 */
export function parseExecReport(text: string): SyscallError | undefined {
  const failed = /^([a-z0-9]+) (\d+)$/m.exec(text);
  if (failed === null) return undefined;
  const step = failed[1] === 'exec' ? 'execve' : (failed[1] ?? 'execve');
  return new SyscallError(step, Number(failed[2]));
}

/**
 * Reads what the pipe `fd` holds now, without waiting (O_NONBLOCK is set on it).
 * @returns the text ('' for none) and whether the writer's end closed (EOF)
 */
export function readReport(fd: number): { text: string; ended: boolean } {
  setNonBlocking(fd);
  const buf = Buffer.alloc(256);
  let text = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return { text, ended: true };
      text += buf.toString('latin1', 0, n);
    }
  } catch {
    return { text, ended: false }; // EAGAIN: the writer has not closed yet
  }
}

/** The exec report of one start: open until its EOF is seen by a sweep or its process ended. */
export class ExecReport {
  static readonly #open = new Set<ExecReport>();
  static #timer: NodeJS.Timeout | undefined;

  #fd: number | undefined;
  #text: string;

  /**
   * @param fd the report pipe's read end, now this object's to close
   * @param text what of it was read already (a failed exec's line can come with the pid)
   */
  constructor(fd: number, text = '') {
    this.#fd = fd;
    this.#text = text;
    ExecReport.#open.add(this);
    ExecReport.#timer ??= setInterval(ExecReport.#sweep, REPORT_SWEEP_MS).unref();
  }

  /** Whether its fd is still open (the exec not yet seen to happen or fail). */
  get isOpen(): boolean {
    return this.#fd !== undefined;
  }

  /**
   * Reads the rest and closes the fd: the process ended, or no longer matters.
   * @returns the error of its failed exec; undefined when the exec happened
   */
  finish(): SyscallError | undefined {
    if (this.#fd !== undefined) this.#read(true);
    return parseExecReport(this.#text);
  }

  // Reads what is there; at EOF, or when `last`, closes the fd.
  #read(last: boolean): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    const { text, ended } = readReport(fd);
    this.#text += text;
    if (!ended && !last) return;
    closeSync(fd);
    this.#fd = undefined;
    ExecReport.#open.delete(this);
    if (ExecReport.#open.size === 0) {
      clearInterval(ExecReport.#timer);
      ExecReport.#timer = undefined;
    }
  }

  static #sweep = (): void => {
    for (const report of ExecReport.#open) report.#read(false);
  };
}
