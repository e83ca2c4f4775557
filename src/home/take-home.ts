// Taking a home: check that no other user controls it (docs/security.md), create it (0700),
// lock its pid file, clear a stale socket; start-up errors that say what failed, the errno name
// and what to do.
import { closeSync, lstatSync, unlinkSync } from 'node:fs';
import { WardenError } from '../core/warden-error.js';
import { makeOwnHome, plantedLink, UntrustedError } from '../effects/files/home-trust.js';
import { socketPathProblem, type HomePaths } from './paths.js';
import { lockPidFile } from './pid-file.js';
import { errnoOf } from '../effects/ffi/errno.js';

/**
 * A start-up failure, reported through the handshake: `code` is an errno name, ALREADY_RUNNING,
 * or UNTRUSTED (a home another user could control: nothing in it was read).
 */
export class StartupError extends WardenError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'StartupError';
  }
}

/**
 * Takes `home` for this process. @returns the fd holding the pid-file lock
 * @throws StartupError (UNTRUSTED, ALREADY_RUNNING, ENAMETOOLONG, EADDRINUSE, or an errno name)
 */
export function takeHome(home: HomePaths): number {
  const tooLong = socketPathProblem(home.socket);
  if (tooLong !== undefined) throw new StartupError('ENAMETOOLONG', tooLong);
  try {
    // Before anything in it is opened: its state.json must not be believed, nor its links followed.
    makeOwnHome(home.home, home.logDir, process.getuid?.() ?? 0);
  } catch (error) {
    if (error instanceof UntrustedError) throw new StartupError(error.code, error.message);
    throw asStartup(error, `cannot create ${home.home}`);
  }
  let lock;
  try {
    lock = lockPidFile(home.pidFile);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP')
      throw new StartupError('UNTRUSTED', plantedLink(home.pidFile, home.home));
    throw asStartup(error, `cannot lock ${home.pidFile}`);
  }
  if (!lock.ok) {
    const who = lock.holder === null ? 'another process' : `pid ${lock.holder}`;
    throw new StartupError(
      'ALREADY_RUNNING',
      `a warden daemon already runs for ${home.home} (${who})`,
    );
  }
  // Holding the lock, any socket file left is stale; anything else at its path is not ours.
  try {
    const st = lstatSync(home.socket, { throwIfNoEntry: false });
    if (st !== undefined && !st.isSocket()) {
      closeSync(lock.fd);
      throw new StartupError(
        'EADDRINUSE',
        `${home.socket} exists and is not a socket; move it away`,
      );
    }
    if (st !== undefined) unlinkSync(home.socket);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    closeSync(lock.fd);
    throw asStartup(error, `cannot remove the stale socket ${home.socket}`);
  }
  return lock.fd;
}

/** Unlinks the socket, if it is still there. */
export function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

const HINTS: Record<string, string> = {
  EACCES: 'check its owner and mode, or use another --home',
  EPERM: 'check its owner and mode, or use another --home',
  EROFS: 'the file system is read-only; use another --home',
  EMFILE: 'too many open files; raise the limit (ulimit -n)',
  ENFILE: 'the system is out of file handles',
  ENOSPC: 'the disk is full',
  EADDRINUSE: 'another program holds the socket path',
  ENAMETOOLONG: 'Unix socket paths are limited to 107 bytes; use a shorter --home',
};

/** A StartupError saying what failed, the errno name, and what to do about it. */
export function asStartup(error: unknown, what: string): StartupError {
  const code = errnoOf(error) ?? 'EIO';
  const hint = HINTS[code];
  return new StartupError(code, `${what}: ${code}${hint === undefined ? '' : ` (${hint})`}`);
}
