// Reaps the daemon's children that libuv does not own: the instances it spawned itself (their
// exit status goes to whoever watches them) and orphans that come back to it as child
// subreaper. On SIGCHLD, and on a slow timer in case a signal was coalesced away. SIGCHLD and
// waitid(2) are the whole process's, so one Reaper (`reaper`) owns every child's bookkeeping:
// the watched children, and the pids libuv reaps itself (spawnTracked), which it must leave be.
import { readdirSync, readFileSync } from 'node:fs';
import { decodeWaitid, type ExitStatus } from '../../core/exit.js';
import { becomeSubreaper, waitExited, type ChildExit } from '../ffi/process.js';

/** Called once with how a watched child ended. */
export type ExitListener = (status: ExitStatus) => void;

/** How often the sweep runs (ms): see Reaper. */
const SWEEP_MS = 1000;

/** The reaping of this process's children (one per process: `reaper`). */
export class Reaper {
  readonly #watched = new Map<number, ExitListener>();
  /** Children spawned through libuv (child_process) that it has not reaped yet. */
  readonly #owned = new Set<number>();
  #isListening = false;
  #isSubreaper = false;
  /**
   * The sweep every SWEEP_MS: ref'd while a child is watched (like a ChildProcess, it keeps the
   * event loop alive), unref'd while only orphans may come (start), else none.
   */
  #sweep: NodeJS.Timeout | undefined;
  readonly #onChild = (): void => void this.reapOrphans();

  /**
   * Hands the exit status of child `pid` (spawned by this process, not through libuv) to
   * `onExit` once it ends; the child is reaped then. Reaping runs on SIGCHLD from the first
   * watch on, and every second while a child is watched, in case a signal was coalesced away.
   */
  watch(pid: number, onExit: ExitListener): void {
    this.#watched.set(pid, onExit);
    this.#listen();
    this.#updateSweep();
  }

  /** Stops reporting the end of `pid` (it is still reaped, so it never stays a zombie). */
  unwatch(pid: number): void {
    this.#watched.delete(pid);
    this.#updateSweep();
  }

  /** `pid` is a child libuv spawned and will reap (until `disown`): never reaped here. */
  own(pid: number): void {
    this.#owned.add(pid);
  }

  /** libuv reaped `pid` (its `exit` event came). */
  disown(pid: number): void {
    this.#owned.delete(pid);
  }

  /** True while `pid` is a child spawned through libuv that libuv has not reaped yet. */
  isOwned(pid: number): boolean {
    return this.#owned.has(pid);
  }

  /**
   * Reaps every ended child that libuv does not own, telling watchers how theirs ended.
   * waitid(WNOWAIT) names an ended child without reaping it, so each costs O(1); only when that
   * child is libuv's (which reaps its own) are the children listed from /proc one by one.
   * @returns how many were reaped
   */
  reapOrphans(): number {
    let reaped = 0;
    for (;;) {
      let next: ChildExit | null;
      try {
        next = waitExited(undefined, true);
      } catch {
        return reaped;
      }
      if (next === null) return reaped;
      if (this.isOwned(next.pid)) break;
      if (this.#reap(next.pid)) reaped++;
      else return reaped; // reaped elsewhere in between
    }
    for (const pid of listChildren()) if (!this.isOwned(pid) && this.#reap(pid)) reaped++;
    return reaped;
  }

  /**
   * Makes this process a subreaper and reaps orphans on SIGCHLD and every second (the same
   * sweep as for watched children; it does not keep the event loop alive by itself).
   * @returns a function that stops the reaping
   * @throws SyscallError when prctl fails
   */
  start(): () => void {
    becomeSubreaper();
    this.#isSubreaper = true;
    this.#listen();
    this.#updateSweep();
    return () => {
      process.off('SIGCHLD', this.#onChild);
      this.#isListening = false;
      this.#isSubreaper = false;
      this.#updateSweep();
    };
  }

  #listen(): void {
    if (this.#isListening) return;
    this.#isListening = true;
    process.on('SIGCHLD', this.#onChild);
  }

  #updateSweep(): void {
    if (this.#watched.size === 0 && !this.#isSubreaper) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
      return;
    }
    this.#sweep ??= setInterval(this.#onChild, SWEEP_MS);
    if (this.#watched.size > 0) this.#sweep.ref();
    else this.#sweep.unref();
  }

  // Reaps `pid` if it has ended, telling its watcher. @returns true when it was reaped
  #reap(pid: number): boolean {
    let exit: ChildExit | null;
    try {
      exit = waitExited(pid);
    } catch {
      return false; // EINVAL cannot happen for a pid; nothing else is worth a crash here
    }
    if (exit === null) return false;
    const onExit = this.#watched.get(pid);
    this.#watched.delete(pid);
    this.#updateSweep();
    try {
      onExit?.(decodeWaitid(exit.code, exit.status));
    } catch (error) {
      // A listener's bug must not leave the other zombies unreaped: report it after the sweep.
      queueMicrotask(() => {
        throw error;
      });
    }
    return true;
  }
}

/** The reaper of this process. */
export const reaper = new Reaper();

/** reaper.start(): makes this process a subreaper that reaps orphans. @throws SyscallError */
export function startReaper(): () => void {
  return reaper.start();
}

/** Pids of this process's children, from /proc/self/task/TID/children (proc(5)). */
export function listChildren(): number[] {
  const pids: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return pids; // EMFILE: try again on the next SIGCHLD or tick
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch {
      continue; // the thread ended while we listed
    }
    for (const word of text.split(' ')) if (word !== '' && word !== '\n') pids.push(Number(word));
  }
  return pids;
}
