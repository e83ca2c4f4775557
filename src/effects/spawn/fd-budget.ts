// The daemon's open files (RLIMIT_NOFILE) as a budget: a start is refused, with EMFILE and the
// limit, unless its fds fit and FD_RESERVE stay free, so that the control socket can always
// accept a connection and answer it (libuv accepts then closes a connection it has no fd for).
import { readdirSync } from 'node:fs';
import { openFilesLimit } from '../ffi/process.js';

/**
 * fds kept free for everything that is not a start: control connections, state.json and log
 * rotation writes, /proc and cgroup reads, readiness probes. All of those are short-lived.
 */
export const FD_RESERVE = 16;

/**
 * fds the daemon holds for one running instance, besides its `ready.fd` pipes: the read ends of
 * its stdout and stderr pipes and (per service, counted per instance to be safe) its log file.
 */
export const FDS_PER_INSTANCE = 3;

/**
 * fds a start takes: those of its instance and, for a cgroup start, the read end of its exec
 * report, held until a sweep sees the exec happen (ExecReport, 100 ms or so).
 */
export const FDS_PER_START = FDS_PER_INSTANCE + 1;

/** What the daemon holds without any service (libuv, Node, its sockets, files and workers). */
export const FDS_OF_DAEMON = 24;

/** The number of fds this process has open now (/proc/self/fd); the limit when that fails. */
export function countOpenFds(limit: number): number {
  try {
    // readdir's own fd is listed too.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return limit; // EMFILE: not even one fd left to read the directory with
  }
}

/**
 * The fds this process may still take for starts. One per process (`fdBudget`): the fd table
 * and its limit are the process's.
 */
export class FdBudget {
  // The open fds counted last, and fds granted since: an upper bound of what is open now (fds
  // closed since are not subtracted), give or take what others opened, which FD_RESERVE covers.
  #counted: number | undefined;
  #grantedSince = 0;

  /**
   * Whether `need` more fds fit while FD_RESERVE stay free. A count of /proc/self/fd costs time in
   * the number of open fds, so it is not made for every start: after a count, grants go without
   * one until they would use half of the room that count left; then the next start counts again.
   * Counts come more often as the room shrinks, but each grants half of what is left: a bring-up
   * of n instances makes O(log n) of them instead of n (a count per start made a bring-up of 3,000
   * quadratic: 7.5 of 25 s in readdir).
   * @returns undefined when they fit, else the soft limit (RLIMIT_NOFILE) they do not fit in
   */
  shortage(need: number): number | undefined {
    const limit = openFilesLimit().soft;
    if (
      this.#counted !== undefined &&
      2 * (this.#grantedSince + need) <= limit - this.#counted - FD_RESERVE
    ) {
      this.#grantedSince += need;
      return undefined;
    }
    this.#counted = countOpenFds(limit);
    this.#grantedSince = 0;
    if (this.#counted + need + FD_RESERVE > limit) return limit;
    this.#grantedSince = need;
    return undefined;
  }
}

/** The daemon's fd budget (spawnInstance asks it before each start). */
export const fdBudget = new FdBudget();

/** The words for a start refused, or failed, for want of fds: `open files limit 64 reached`. */
export function describeFdLimit(limit: number): string {
  return `open files limit ${limit} reached`;
}

/**
 * fds a config needs at most, all instances running: the daemon's own, FD_RESERVE, and
 * FDS_PER_INSTANCE plus the `ready.fd` pipe of each instance.
 */
export function fdsNeeded(services: readonly { instances: number; pipes: number }[]): number {
  let total = FDS_OF_DAEMON + FD_RESERVE;
  for (const s of services) total += s.instances * (FDS_PER_INSTANCE + s.pipes);
  return total;
}
