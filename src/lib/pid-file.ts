// The single-instance lock of daemonize(): the daemon's own pid file code (flock, never unlinked).
import { closeSync, openSync } from 'node:fs';
import { lockPidFile, PID_FILE_FLAGS, readPid } from '../home/pid-file.js';
import { tryLockExclusive } from '../effects/ffi/fds.js';
import { DaemonizeError, stepFailed } from './errors.js';

function alreadyRunning(path: string, holder: number | null): DaemonizeError {
  const who = holder === null ? 'another process (pid unknown)' : `pid ${holder}`;
  return new DaemonizeError(
    'ALREADY_RUNNING',
    `another instance is running: ${path} is locked by ${who}`,
    holder === null ? {} : { holder },
  );
}

/**
 * Checks, without keeping it, that the lock of `path` can be taken (the parent's early check:
 * a second instance is refused before anything is spawned). Creates the file when missing.
 * @throws DaemonizeError ALREADY_RUNNING naming the holder, or an errno name (ENOENT, EACCES...)
 */
export function probePidFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, PID_FILE_FLAGS, 0o644);
  } catch (error) {
    throw stepFailed(`cannot open the pid file ${path}`, error);
  }
  let isFree: boolean;
  try {
    isFree = tryLockExclusive(fd);
  } catch (error) {
    throw stepFailed(`cannot lock the pid file ${path}`, error);
  } finally {
    closeSync(fd);
  }
  if (!isFree) throw alreadyRunning(path, readPid(path));
}

/**
 * Takes the lock of `path` for the life of this process and writes our pid into it.
 * @returns the fd holding the lock (close-on-exec)
 * @throws DaemonizeError ALREADY_RUNNING naming the holder, or an errno name
 */
export function takePidFile(path: string): number {
  let lock;
  try {
    lock = lockPidFile(path);
  } catch (error) {
    throw stepFailed(`cannot take the pid file ${path}`, error);
  }
  if (!lock.ok) throw alreadyRunning(path, lock.holder);
  return lock.fd;
}
