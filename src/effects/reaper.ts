// Reaps orphans that come back to the daemon as child subreaper, without touching libuv's own
// children: on SIGCHLD and on a slow timer, list our children from /proc and waitpid the others.
import { readdirSync, readFileSync } from 'node:fs';
import { isOwnedChild } from './children.js';
import { becomeSubreaper, reapNoHang } from './libc.js';

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

/** Reaps every zombie child that libuv does not own. @returns how many were reaped */
export function reapOrphans(): number {
  let reaped = 0;
  for (const pid of listChildren()) {
    if (isOwnedChild(pid)) continue;
    try {
      if (reapNoHang(pid) !== null) reaped++;
    } catch {
      // ECHILD: reaped elsewhere in between; nothing to do.
    }
  }
  return reaped;
}

/**
 * Makes this process a subreaper and reaps orphans on SIGCHLD and every `intervalMs`.
 * @returns a function that stops the reaping
 * @throws SyscallError when prctl fails
 */
export function startReaper(intervalMs = 1000): () => void {
  becomeSubreaper();
  const onChild = (): void => void reapOrphans();
  process.on('SIGCHLD', onChild);
  const timer = setInterval(onChild, intervalMs);
  timer.unref();
  return () => {
    process.off('SIGCHLD', onChild);
    clearInterval(timer);
  };
}
