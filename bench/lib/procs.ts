// What the benchmarks read of processes (/proc, proc(5)), how they wait, and the ledger of every
// process they started, so that each is ended by pid (never by name) when a benchmark ends.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat (USER_HZ). */
export const TICKS = 100;

/** The fields of /proc/PID/stat the benchmarks use. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** One letter: R, S, D, Z... */
  state: string;
  /** utime + stime, in clock ticks (all threads). */
  cpuTicks: number;
  /** Start time after boot in clock ticks: with the pid, names one process across pid reuse. */
  startTime: number;
}

/** /proc/PID/stat, or undefined when the process is gone. */
export function statOf(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    ppid: Number(f[1]),
    state: f[0] ?? '?',
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTime: Number(f[19]),
  };
}

/** utime + stime of a live process, in seconds. */
export function cpuOf(pid: number): number {
  return (statOf(pid)?.cpuTicks ?? NaN) / TICKS;
}

/** VmRSS of a process in bytes, or 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** True while `pid` is the process that started at `startTime` and has not died (zombie). */
export function isLive(pid: number, startTime: number): boolean {
  const s = statOf(pid);
  return s !== undefined && s.startTime === startTime && s.state !== 'Z' && s.state !== 'X';
}

/**
 * A supervisor's own processes: `daemon` and its descendants, less the services (`services`
 * and their descendants).
 */
export function ownProcesses(daemon: number, services: ReadonlySet<number>): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue;
    const s = statOf(Number(name));
    if (s === undefined) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const own: number[] = [];
  const queue = [daemon];
  for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
    if (services.has(pid)) continue;
    own.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return own;
}

/** The wall clock in ms since the epoch, to the microsecond (comparable with bash's EPOCHREALTIME). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` every `everyMs` until it returns a value. @throws after `timeoutMs`, naming `what` */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs: number,
  everyMs = 2,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Every process a benchmark started or made start, by pid and start time. */
export class Started {
  readonly #procs = new Map<number, number>();

  /** Notes `pid` (if it is alive) so that `killAll` ends it. */
  add(pid: number): void {
    if (pid <= 0) return;
    const s = statOf(pid);
    if (s !== undefined) this.#procs.set(pid, s.startTime);
  }

  /** SIGKILLs each noted process that is still the one noted and still alive. */
  killAll(): void {
    for (const [pid, startTime] of this.#procs) {
      try {
        if (isLive(pid, startTime)) process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    this.#procs.clear();
  }
}
