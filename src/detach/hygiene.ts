// What a daemon does to itself at start-up (daemon(7), APUE ch. 13): no inherited fds, and fds
// of its own that no child inherits. The warden daemon and the library's daemonize() both do it.
import { closeSync, readdirSync } from 'node:fs';
import { isCloseOnExec, setCloseOnExec } from '../effects/ffi/fds.js';

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
