// What a daemon does to itself at start-up (daemon(7), APUE ch. 13): no inherited fds, a known
// umask, cwd `/`, and a single instance through a locked pid file.
import { closeSync, constants, openSync, readdirSync, writeSync, ftruncateSync } from 'node:fs';
import { isCloseOnExec, setCloseOnExec, tryLockExclusive } from '../effects/ffi/fds.js';
import { readRegularFileSync } from '../effects/files/regular-file.js';

/**
 * Closes every fd above `keepUpTo` that is not close-on-exec. Node's and libuv's own fds are all
 * close-on-exec, so what remains was inherited from whoever started us (a leaked pipe would keep
 * a caller's `$(...)` waiting).
 * @returns the fds closed
 */
export function closeInheritedFds(keepUpTo: number): number[] {
  const closed: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= keepUpTo) continue;
    try {
      if (isCloseOnExec(fd)) continue;
      closeSync(fd);
      closed.push(fd);
    } catch {
      // EBADF: the fd used to list the directory, already closed.
    }
  }
  return closed;
}

/** Marks `fd` close-on-exec so no service inherits it. @throws SyscallError */
export function keepPrivate(fd: number): void {
  setCloseOnExec(fd);
}

/** The outcome of taking the pid-file lock. */
export type PidLock = { ok: true; fd: number } | { ok: false; holder: number | null };

/** `a+` that never follows a symbolic link (open(2) O_NOFOLLOW: ELOOP instead). */
export const PID_FILE_FLAGS =
  constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * Opens `path` (creating it 0644; a symbolic link there is refused with ELOOP), takes an
 * exclusive flock, and writes our pid into it. The file is never unlinked: the lock, not the
 * file's existence, says a daemon runs.
 * @returns `{ok: false, holder}` with the holder's pid (when readable) if another process has it
 * @throws fs and SyscallErrors (EACCES, EMFILE...) with `code` set
 */
export function lockPidFile(path: string): PidLock {
  const fd = openSync(path, PID_FILE_FLAGS, 0o644);
  let locked: boolean;
  try {
    setCloseOnExec(fd);
    locked = tryLockExclusive(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!locked) {
    closeSync(fd);
    return { ok: false, holder: readPid(path) };
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  return { ok: true, fd };
}

// A pid and a newline; more is not a pid file (and a FIFO there must not hang the CLI).
const PID_FILE_LIMIT_BYTES = 64;

/** The pid written in a pid file, or null (also when it is not a small regular file). */
export function readPid(path: string): number | null {
  try {
    // Never through a link another user planted (docs/security.md), never waiting on a FIFO.
    const text = readRegularFileSync(path, PID_FILE_LIMIT_BYTES, { noFollow: true });
    const n = Number.parseInt(text.trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}
