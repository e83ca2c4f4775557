// Exit statuses as data: how an instance's main process ended, or why it never started.
import { isSignalName, SIGNALS, type SignalName } from './signals.js';

/** The process called exit(code) (wait(2): WIFEXITED). */
export interface CodeExit {
  code: number;
}

/** The process was killed by a signal (wait(2): WIFSIGNALED, WCOREDUMP). */
export interface SignalExit {
  /** `SIGTERM`...; a signal outside the classic table is `SIGRTMIN+N` or `signal N`. */
  signal: SignalName | (string & {});
  coreDumped: boolean;
  /**
   * Set (true) when the kernel's OOM killer ended it inside its cgroup (memory.events
   * `oom_kill` grew during the run), with `limit`, the memory.max in force (bytes). Absent for
   * a SIGKILL from anyone else.
   */
  oom?: true;
  limit?: number;
}

/** The process could not be started at all; `spawnError` is the errno name (ENOENT, EACCES...). */
export interface SpawnFailure {
  spawnError: string;
  /** The path the error is about: the program, or the working directory. */
  path: string;
  /** The OS's words for it, e.g. "spawn nope ENOENT". */
  message: string;
  /** What warden knows beyond the errno name, e.g. `open files limit 64 reached` for EMFILE. */
  detail?: string;
}

/**
 * The process ended, but no wait(2) status reached warden: it was adopted after a daemon restart,
 * so it was not this daemon's child. `unknown` says why, in words.
 */
export interface UnknownExit {
  unknown: string;
}

/** How a process ended. */
export type ExitStatus = CodeExit | SignalExit | UnknownExit;

/** The last thing that ended an instance: an exit, or a failure to spawn. */
export type LastExit = ExitStatus | SpawnFailure;

/** True for an exit by signal. */
export function isSignalExit(exit: LastExit): exit is SignalExit {
  return 'signal' in exit;
}

/** True for an exit whose status warden could not learn (an adopted process). */
export function isUnknownExit(exit: LastExit): exit is UnknownExit {
  return 'unknown' in exit;
}

/** True for a spawn failure. */
export function isSpawnFailure(exit: LastExit): exit is SpawnFailure {
  return 'spawnError' in exit;
}

/** Signals that systemd counts as a clean stop (systemd.service(5), `SuccessExitStatus=` defaults). */
const CLEAN_SIGNALS: ReadonlySet<SignalName> = new Set(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE']);

/**
 * True when the exit counts as success for `restart: on-failure`: code 0 or a clean signal. An
 * unknown status is not: restarting a service that meant to end is the lesser harm.
 */
export function isCleanExit(exit: ExitStatus): boolean {
  if (isUnknownExit(exit)) return false;
  if (!isSignalExit(exit)) return exit.code === 0;
  return isSignalName(exit.signal) && CLEAN_SIGNALS.has(exit.signal);
}

/** errno names of spawn failures that say the system is short of something, not the service wrong. */
const TRANSIENT_SPAWN_ERRORS: ReadonlySet<string> = new Set([
  'EAGAIN',
  'EMFILE',
  'ENFILE',
  'ENOMEM',
  'EINTR',
  'EBUSY',
  'ETXTBSY',
]);

/** True when a spawn failing with `code` may work if tried again later (execve(2), fork(2)). */
export function isTransientSpawnError(code: string): boolean {
  return TRANSIENT_SPAWN_ERRORS.has(code);
}

// si_code values of a child's end (waitid(2), sigaction(2) "SIGCHLD").
const CLD_EXITED = 1;
const CLD_DUMPED = 3;
// glibc's SIGRTMIN: the kernel's 32 and 33 are taken by the C library's threads.
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * Builds an ExitStatus from waitid(2)'s siginfo: `siCode` CLD_EXITED with the exit code in
 * `siStatus`, or CLD_KILLED / CLD_DUMPED with the signal number (CLD_DUMPED: a core was written,
 * as WCOREDUMP tells).
 */
export function decodeWaitid(siCode: number, siStatus: number): ExitStatus {
  if (siCode === CLD_EXITED) return { code: siStatus };
  return { signal: signalNameOf(siStatus), coreDumped: siCode === CLD_DUMPED };
}

// `SIGTERM`; realtime signals as `SIGRTMIN+N`, as kill -l names them.
function signalNameOf(n: number): string {
  const name = (Object.keys(SIGNALS) as SignalName[]).find((k) => SIGNALS[k] === n);
  if (name !== undefined) return name;
  return n >= SIGRTMIN && n <= SIGRTMAX ? `SIGRTMIN+${n - SIGRTMIN}` : `signal ${n}`;
}

/**
 * Human form: `exit 1`, `SIGSEGV (core dumped)`, `spawn failed: ENOENT (/usr/bin/nope)`,
 * `spawn failed: EMFILE (sleep; open files limit 64 reached)`,
 * `exit status unknown (adopted: not a child of this daemon)`, `OOM killed (memory 512MB)`.
 */
export function formatExit(exit: LastExit): string {
  if (isSpawnFailure(exit)) {
    const detail = exit.detail === undefined ? '' : `; ${exit.detail}`;
    return `spawn failed: ${exit.spawnError} (${exit.path}${detail})`;
  }
  if (isSignalExit(exit)) {
    if (exit.oom === true)
      return `OOM killed${exit.limit === undefined ? '' : ` (memory ${formatBytes(exit.limit)})`}`;
    return exit.coreDumped ? `${exit.signal} (core dumped)` : exit.signal;
  }
  if (isUnknownExit(exit)) return `exit status unknown (${exit.unknown})`;
  const hint =
    exit.code === 127 ? ' (command not found)' : exit.code === 126 ? ' (not executable)' : '';
  return `exit ${exit.code}${hint}`;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/**
 * A size as the config writes it, 1024-based: `512MB` for 536870912, `1.5GB`, `100B`; at most
 * one decimal, so that a configured size comes back as written.
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown}${BYTE_UNITS[unit] ?? 'B'}`;
}
