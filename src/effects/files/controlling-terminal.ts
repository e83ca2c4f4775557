// Whether this process has a controlling terminal: the one fact that says whether a SIGHUP may
// mean "your terminal closed" (tty(4), credentials(7)). Whether stdin is a TTY says something
// else: `warden run </dev/null` typed in a terminal still has that terminal and gets its hangup,
// and a process given a TTY as stdin in a session of its own (setsid) never gets one.
import { closeSync, constants, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * True when this process has a controlling terminal: `/dev/tty`, which always names the
 * caller's own controlling terminal, opens. It fails with ENXIO when there is none (a new
 * session, a daemon, systemd, most containers) and with ENOENT where `/dev` has no `tty`
 * (minimal containers): both mean no terminal. O_NONBLOCK: the open never waits for a line.
 */
export function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY));
    return true;
  } catch {
    return false;
  }
}

/** Which of the standard fds (0, 1, 2) are terminals now. */
export function terminalFds(): number[] {
  return [0, 1, 2].filter((fd) => isatty(fd));
}

/**
 * Closes each of `fds` (from {@link terminalFds}, earlier) that is no longer a terminal to
 * ioctl(2), as a terminal that hung up (EIO). Node restores the termios of each standard fd
 * that was a terminal at its start when it exits, and aborts (an assertion in ResetStdio)
 * when that fails with EIO; an fd that was closed it skips. Call only at the very end, when
 * nothing more is written to them.
 */
export function closeHungUpTerminals(fds: readonly number[]): void {
  for (const fd of fds) {
    if (isatty(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // EBADF: closed already
    }
  }
}
