// The home's pid file (DESIGN.md section 4): one daemon per home through an flock on
// `warden.pid`, which is never unlinked. Shared by the daemon, the CLI (`up`, `down` wait on the
// pid in it) and the library's daemonize() (its own pid file).
import { closeSync, constants, openSync, writeSync, ftruncateSync } from 'node:fs';
import { setCloseOnExec, tryLockExclusive } from '../effects/ffi/fds.js';
import { readRegularFileSync } from '../effects/files/regular-file.js';

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
