// The directory outside the home where the notify sockets of services running as other users
// live: the home stays closed (0700) to them, and this directory lets anyone pass through (0711)
// but list nothing and change nothing; each socket in it is 0600 and owned by its one user.
import { chmodSync, lstatSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf } from '../ffi/errno.js';
import type { NotifySocketError } from './notify-socket.js';

/**
 * Makes `dir` (e.g. `/run/warden/3f2a…`) and its parent if missing, and checks that both are
 * real directories owned by this process's user, writable by no one else; `dir` gets mode 0711
 * (search only for others), a parent it creates 0755.
 * @returns undefined, or why the directory cannot be used (a symlink, another owner, a mode
 * that lets others replace a socket, or the errno of mkdir)
 */
export function prepareRuntimeDir(dir: string): NotifySocketError | undefined {
  const uid = process.getuid?.() ?? -1;
  for (const [path, mode] of [
    [dirname(dir), 0o755],
    [dir, 0o711],
  ] as const) {
    try {
      mkdirSync(path, { mode });
      chmodSync(path, mode); // whatever the umask took away
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') return fail(error, `cannot create ${path}`);
    }
    const problem = unsafe(path, uid);
    if (problem !== undefined) return { code: 'EPERM', message: `${path} ${problem}` };
  }
  try {
    chmodSync(dir, 0o711);
  } catch (error) {
    return fail(error, `cannot set the mode of ${dir}`);
  }
  return undefined;
}

/** Removes `dir` once its sockets are unlinked; leaves it if anything else is in it. */
export function removeRuntimeDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}

// Why another user could take over what is in `path`, or undefined when no one can.
function unsafe(path: string, uid: number): string | undefined {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return 'is a symbolic link: remove it';
  if (!st.isDirectory()) return 'is not a directory: remove it';
  if (st.uid !== uid) return `belongs to uid ${st.uid}, not to the daemon's user (uid ${uid})`;
  if ((st.mode & 0o022) !== 0)
    return `is writable by others (mode ${(st.mode & 0o777).toString(8)}): chmod go-w it`;
  return undefined;
}

function fail(error: unknown, what: string): NotifySocketError {
  const code = errnoOf(error) ?? 'EIO';
  return { code, message: `${what}: ${code}` };
}
