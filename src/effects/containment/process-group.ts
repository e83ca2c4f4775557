// Signals to a whole process group, and the test for whether any member is left (kill(2)).
import { readFileSync } from 'node:fs';
import type { SignalName } from '../../core/signals.js';
import { errnoOf } from '../ffi/errno.js';

/**
 * Sends `signal` to every process of process group `pgid` (kill(-pgid, sig)).
 * @returns false when the group has no member left (ESRCH)
 * @throws for EPERM and other failures, with `code` set
 */
export function signalGroup(pgid: number, signal: SignalName | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ESRCH') return false;
    throw error;
  }
}

/** True while process group `pgid` has a member (zombies count until reaped). */
export function isGroupAlive(pgid: number): boolean {
  try {
    return signalGroup(pgid, 0);
  } catch (error) {
    // EPERM: a member exists but belongs to another user.
    return errnoOf(error) === 'EPERM';
  }
}

/** True while process `pid` exists (zombies included). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

/** True while `pid` exists and is not a zombie (state Z or X in /proc/PID/stat, proc(5)). */
export function isPidRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name, which is in parentheses and may itself hold ") ".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
