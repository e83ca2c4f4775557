// The last log line of each instance for `warden top`, read from the log files as `warden logs`
// reads them (logs/history.ts: backward from the end, rotated files when needed).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readHistory } from '../../logs/history.js';
import { splitLine } from '../../logs/line-filter.js';

/**
 * Lines read back from the end of a service's log per look: an instance that wrote none of them
 * keeps the line found before (a bound, so that a quiet instance beside a chatty one costs no
 * reading of the whole history every second).
 */
const LINES = 50;

/** The last lines of the services' logs in `logDir`, re-read only when a file changed. */
export class LastLines {
  readonly #dir: string;
  /** The size, time and inode each log had when last read. */
  readonly #stamps = new Map<string, string>();

  constructor(logDir: string) {
    this.#dir = logDir;
  }

  /** Calls `found(instance, text)` for the newest line of each instance in the logs of `services`. */
  read(services: readonly string[], found: (instance: string, text: string) => void): void {
    for (const service of services) {
      const path = join(this.#dir, `${service}.log`);
      const stamp = stampOf(path);
      if (stamp === undefined || this.#stamps.get(path) === stamp) continue;
      this.#stamps.set(path, stamp);
      for (const [instance, text] of newestLines(path)) found(instance, text);
    }
  }
}

// The newest line of each instance among the last LINES of the log at `path`; none when it
// cannot be read (a log this user may not read, removed meanwhile): the column stays as it was.
function newestLines(path: string): Map<string, string> {
  const newest = new Map<string, string>();
  try {
    readHistory(
      [path],
      (buf, start, end) => {
        const line = splitLine(buf.toString('utf8', start, end));
        if (line !== undefined) newest.set(line.instance, line.text);
      },
      { lines: LINES },
    );
  } catch {
    return new Map();
  }
  return newest;
}

// What tells that a log changed: its size, modification time and inode (a rotation).
function stampOf(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return undefined;
  }
}
