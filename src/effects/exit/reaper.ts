// Reaps the daemon's children that libuv does not own: the instances it spawned itself (their
// exit status goes to whoever watches them) and orphans that come back to it as child
// subreaper. On SIGCHLD, and on a slow timer in case a signal was coalesced away.
import { readdirSync, readFileSync } from 'node:fs';
import { decodeWaitid, type ExitStatus } from '../../core/exit.js';
import { isOwnedChild } from '../spawn/children.js';
import { becomeSubreaper, waitExited, type ChildExit } from '../ffi/process.js';

/** Called once with how a watched child ended. */
export type ExitListener = (status: ExitStatus) => void;

const watched = new Map<number, ExitListener>();
let listening = false;
let isSubreaper = false;
/**
 * The sweep every SWEEP_MS: ref'd while a child is watched (like a ChildProcess, it keeps the
 * event loop alive), unref'd while only orphans may come (startReaper), else none.
 */
let sweep: NodeJS.Timeout | undefined;
const SWEEP_MS = 1000;

/**
 * Hands the exit status of child `pid` (spawned by this process, not through libuv) to `onExit`
 * once it ends; the child is reaped then. Reaping runs on SIGCHLD from the first watch on, and
 * every second while a child is watched, in case a signal was coalesced away.
 */
export function watchChild(pid: number, onExit: ExitListener): void {
  watched.set(pid, onExit);
  listen();
  updateSweep();
}

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('SIGCHLD', onChild);
}

/** Stops reporting the end of `pid` (it is still reaped, so it never stays a zombie). */
export function unwatchChild(pid: number): void {
  watched.delete(pid);
  updateSweep();
}

function updateSweep(): void {
  if (watched.size === 0 && !isSubreaper) {
    clearInterval(sweep);
    sweep = undefined;
    return;
  }
  sweep ??= setInterval(onChild, SWEEP_MS);
  if (watched.size > 0) sweep.ref();
  else sweep.unref();
}

function onChild(): void {
  reapOrphans();
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

// Reaps `pid` if it has ended, telling its watcher. @returns true when it was reaped
function reap(pid: number): boolean {
  let exit: ChildExit | null;
  try {
    exit = waitExited(pid);
  } catch {
    return false; // EINVAL cannot happen for a pid; nothing else is worth a crash here
  }
  if (exit === null) return false;
  const onExit = watched.get(pid);
  watched.delete(pid);
  updateSweep();
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

/**
 * Reaps every ended child that libuv does not own, telling watchers how theirs ended.
 * waitid(WNOWAIT) names an ended child without reaping it, so each costs O(1); only when that
 * child is libuv's (which reaps its own) are the children listed from /proc one by one.
 * @returns how many were reaped
 */
export function reapOrphans(): number {
  let reaped = 0;
  for (;;) {
    let next: ChildExit | null;
    try {
      next = waitExited(undefined, true);
    } catch {
      return reaped;
    }
    if (next === null) return reaped;
    if (isOwnedChild(next.pid)) break;
    if (reap(next.pid)) reaped++;
    else return reaped; // reaped elsewhere in between
  }
  for (const pid of listChildren()) if (!isOwnedChild(pid) && reap(pid)) reaped++;
  return reaped;
}

/**
 * Makes this process a subreaper and reaps orphans on SIGCHLD and every second (the same sweep
 * as for watched children; it does not keep the event loop alive by itself).
 * @returns a function that stops the reaping
 * @throws SyscallError when prctl fails
 */
export function startReaper(): () => void {
  becomeSubreaper();
  isSubreaper = true;
  listen();
  updateSweep();
  return () => {
    process.off('SIGCHLD', onChild);
    listening = false;
    isSubreaper = false;
    updateSweep();
  };
}
