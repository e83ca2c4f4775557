// Reading processes from /proc (proc(5)): identity (pid + start time), family (ppid, pgid, sid),
// memory, CPU time, command line, and signalling one process without ever hitting a recycled pid.
import { closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { SIGNALS, type SignalName } from '../../core/signals.js';
import { pidfdOpen, pidfdSendSignal } from '../ffi/process.js';

/** One process as /proc/PID/stat tells it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** One letter: R, S, D, Z, T... (proc(5)). */
  state: string;
  /** Start time after boot, in clock ticks: with `pid`, identifies a process across pid reuse. */
  startTime: number;
  /** The command name (comm), at most 15 characters. */
  comm: string;
  /** Resident set size in bytes. */
  rssBytes: number;
  /**
   * CPU time in seconds: utime + stime + cutime + cstime, its own and that of the children it
   * waited for (proc(5) fields 14 to 17).
   */
  cpuSeconds: number;
}

const PAGE = 4096;
/** USER_HZ, the unit of /proc's CPU times: 100 on every architecture Linux and Node share (times(2)). */
const TICKS_PER_SECOND = 100;

/** Reads /proc/PID/stat, or undefined when the process is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain ") ": the last ')' ends it.
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(text.indexOf('(') + 1, close),
    state: f[0] ?? '?',
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    startTime: Number(f[19]),
    rssBytes: Number(f[21]) * PAGE,
    cpuSeconds: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND,
  };
}

/** Every process now in /proc (a snapshot; processes come and go while it is taken). */
export function scanProcs(): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue; // not a digit: not a process
    const info = readProc(Number(name));
    if (info !== undefined) all.push(info);
  }
  return all;
}

/** True when the environment of `pid` holds the exact entry `entry` (`NAME=value`). */
export function environHas(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry);
  } catch {
    return false;
  }
}

/** The command line of `pid` joined by spaces (the comm in brackets for kernel threads/zombies). */
export function commandLine(pid: number): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw !== '') return raw.replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    // gone
  }
  return `[${readProc(pid)?.comm ?? '?'}]`;
}

/** True for a process that has ended but not been reaped (state Z or X). */
export function isDead(info: ProcInfo): boolean {
  return info.state === 'Z' || info.state === 'X';
}

/**
 * Sends `signal` to the process `pid` only if it is still the one that started at `startTime`:
 * a pidfd is opened first, then the identity checked, then the signal sent through the pidfd,
 * so a pid recycled in between is never hit.
 * @returns false when that process is gone
 */
export function signalProcess(pid: number, startTime: number, signal: SignalName): boolean {
  let fd: number | null;
  try {
    fd = pidfdOpen(pid);
  } catch {
    return signalByKill(pid, startTime, signal); // no pidfd (old kernel, EMFILE): check, then kill
  }
  if (fd === null) return false;
  try {
    if (readProc(pid)?.startTime !== startTime) return false;
    return pidfdSendSignal(fd, SIGNALS[signal]);
  } finally {
    closeSync(fd);
  }
}

function signalByKill(pid: number, startTime: number, signal: SignalName): boolean {
  if (readProc(pid)?.startTime !== startTime) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why /proc does not show this process's own PID namespace; undefined when it does. /proc shows
 * the namespace of whoever mounted it (pid_namespaces(7)): after `unshare --pid --fork` without
 * `--mount-proc`, or in a container given the host's /proc, it lists other processes under other
 * pids, so a supervisor that reads a pid there and signals it would hit another process, or
 * take the host's processes for orphans of its own.
 */
export function foreignProcReason(): string | undefined {
  let self: string;
  try {
    self = readlinkSync('/proc/self');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return `/proc/self cannot be read (${code}): is /proc mounted?`;
  }
  if (self === String(process.pid)) return undefined;
  return (
    `/proc belongs to another PID namespace: it shows this process as pid ${self}, but here it ` +
    `is pid ${process.pid}; mount a /proc of this namespace (unshare --mount-proc, or a ` +
    `container's own /proc)`
  );
}
