// Which process holds a socket: a `socket:[INODE]` link among its open fds in /proc/PID/fd
// (proc(5)).
import { readdirSync, readlinkSync } from 'node:fs';
import { readProc } from '../containment/proc.js';

/** A process found holding a socket; `hidden` when none that this user may look into does. */
export type SocketHolder = { pid: number; comm: string } | 'hidden';

/**
 * True when process `pid` has a socket of `inodes` open. False when it has none, is gone, or
 * its fds are not ours to read (another user's process).
 */
export function holdsSocket(pid: number, inodes: ReadonlySet<number>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    // `socket:[12345]`: the inode is between the brackets.
    if (link.startsWith('socket:[') && inodes.has(Number(link.slice(8, -1)))) return true;
  }
  return false;
}

/**
 * The first process in /proc found holding a socket of `inodes`, with its command name, or
 * `hidden` when no process that this user may look into holds one. Reads every process's fds:
 * for the rare case that needs a name, never on a path taken at every check.
 */
export function findSocketHolder(inodes: ReadonlySet<number>): SocketHolder {
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue; // not a digit: not a process
    const pid = Number(name);
    if (holdsSocket(pid, inodes)) return { pid, comm: readProc(pid)?.comm ?? '?' };
  }
  return 'hidden';
}
