// The daemon's side of daemonize(): process hygiene (the daemon's own, src/detach/hygiene.ts),
// the pid file, the user, then the handshake lines "started" and "ready" (or the error).
import { resolve } from 'node:path';
import { closeInheritedFds, keepPrivate } from '../detach/hygiene.js';
import { writeHandshake, writeHandshakeLine } from '../detach/handshake.js';
import { dropPrivileges } from './credentials.js';
import type { Daemon, DaemonizeOptions } from './daemonize.js';
import { codeOf } from './errors.js';
import { notifyReady } from './notify.js';
import { takePidFile } from './pid-file.js';

/** The variable that tells the re-run program it is the daemon; its value is the handshake fd. */
export const DAEMONIZE_MARKER = 'WARDEN_DAEMONIZE_FD';

/** What the handshake carries for a failure. */
function describe(error: unknown, withStack: boolean): { code: string; message: string } {
  const code = codeOf(error, 'FAILED');
  if (!(error instanceof Error)) return { code, message: String(error) };
  return { code, message: withStack ? (error.stack ?? error.message) : error.message };
}

// The steps that are about what the program is, not about detaching: in both modes.
// `pidFile` must be absolute by now.
function takeIdentity(options: DaemonizeOptions): void {
  if (options.pidFile !== undefined) takePidFile(options.pidFile);
  dropPrivileges(options.user, options.group);
}

// Relative to the directory the program was started in, not to `/` after the chdir.
function absolutePidFile(options: DaemonizeOptions): DaemonizeOptions {
  const { pidFile } = options;
  return pidFile === undefined ? options : { ...options, pidFile: resolve(pidFile) };
}

/** In the re-run copy: the daemon steps, then `{ready, fail}` speaking on handshake fd `fd`. */
export function runChild(given: DaemonizeOptions, fd: number): Daemon {
  const options = absolutePidFile(given);
  // Programs this daemon starts are not daemons in the making.
  delete process.env[DAEMONIZE_MARKER];
  let isOpen = true;
  const report = (error: unknown, withStack: boolean): void => {
    if (!isOpen) return;
    isOpen = false;
    writeHandshake(fd, { error: describe(error, withStack) });
  };
  // The caller must hear of a crash before ready(), not just see "exited with code 1".
  const monitor = (error: Error): void => report(error, true);
  process.on('uncaughtExceptionMonitor', monitor);
  try {
    keepPrivate(fd);
    closeInheritedFds(fd);
    process.umask(options.umask ?? 0o022);
    if (options.nochdir !== true) process.chdir('/');
    takeIdentity(options);
  } catch (error) {
    report(error, false);
    process.exit(1);
  }
  writeHandshakeLine(fd, { started: true, pid: process.pid });
  return {
    isForeground: false,
    ready() {
      if (!isOpen) return;
      isOpen = false;
      process.off('uncaughtExceptionMonitor', monitor);
      writeHandshake(fd, { ready: true, pid: process.pid });
    },
    fail(error: unknown): never {
      report(error, false);
      process.stderr.write(`${describe(error, false).message}\n`);
      process.exit(1);
    },
  };
}

/** Under a supervisor: no detaching; the pid file and user still apply. @throws DaemonizeError */
export function runForeground(options: DaemonizeOptions): Daemon {
  takeIdentity(absolutePidFile(options));
  let isReady = false;
  return {
    isForeground: true,
    ready(status?: string) {
      if (isReady) return;
      isReady = true;
      notifyReady(status);
    },
    fail(error: unknown): never {
      process.stderr.write(`${describe(error, false).message}\n`);
      process.exit(1);
    },
  };
}
