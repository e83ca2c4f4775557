// Readiness and status notification to whatever supervises this process: sd_notify(3) on
// $NOTIFY_SOCKET (warden, systemd), the s6 notification fd (NOTIFICATION_FD), or nobody.
import { closeSync, writeSync } from 'node:fs';
import { WardenError } from '../core/warden-error.js';
import { sendDatagram } from '../effects/ffi/unix-dgram.js';
import { errnoOf } from '../effects/ffi/errno.js';

/**
 * A supervisor named by the environment could not be told (it went away, or a bad setting).
 * `code`: the errno name (`ECONNREFUSED`, `ENOENT`, `EBADF`...) or `EINVAL` for a bad variable.
 */
export class NotifyError extends WardenError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'NotifyError';
  }
}

function errorCode(error: unknown): string {
  return errnoOf(error) ?? 'EIO';
}

// sd_notify(3): `NOTIFY_SOCKET` is an absolute path or `@abstract`; any other form (vsock:...)
// is not ours to speak, and is treated as no supervisor.
function notifySocket(): string | undefined {
  const value = process.env.NOTIFY_SOCKET;
  if (value === undefined || !(value.startsWith('/') || value.startsWith('@'))) return undefined;
  return value;
}

function send(text: string, isReadiness: boolean): boolean {
  const socket = notifySocket();
  if (socket !== undefined) {
    try {
      sendDatagram(socket, Buffer.from(text));
      return true;
    } catch (error) {
      const code = errorCode(error);
      throw new NotifyError(code, `cannot notify ${socket}: ${code}`, { cause: error });
    }
  }
  const fdText = process.env.NOTIFICATION_FD;
  if (fdText === undefined || !isReadiness) return false;
  const fd = Number(fdText);
  if (!Number.isInteger(fd) || fd < 3) {
    throw new NotifyError('EINVAL', `NOTIFICATION_FD=${fdText} is not a file descriptor above 2`);
  }
  // s6: one newline, then close; forgetting the variable keeps a later call from writing to
  // whatever file reuses the fd number.
  delete process.env.NOTIFICATION_FD;
  try {
    writeSync(fd, '\n');
    closeSync(fd);
    return true;
  } catch (error) {
    const code = errorCode(error);
    throw new NotifyError(code, `cannot write to NOTIFICATION_FD ${fd}: ${code}`, {
      cause: error,
    });
  }
}

/**
 * Tells the supervisor that start-up is finished and the program serves.
 *
 * - under `$NOTIFY_SOCKET` (warden `ready: {notify: true}`, systemd `Type=notify`): sends the
 *   datagram `READY=1` (and `STATUS=status` when given) to that path or `@abstract` name
 *   (sd_notify(3));
 * - else under `$NOTIFICATION_FD` (warden `ready: {fd: N}`, s6 notification-fd, s6-supervise(8)):
 *   writes one newline to that fd and closes it (later calls then do nothing);
 * - else does nothing.
 *
 * @param status optional one-line text, shown by `warden status` and `systemctl status`
 * @returns true when a supervisor was told, false when there is none
 * @throws NotifyError (with an errno name in `code`) only when a supervisor is named but cannot
 * be reached; never without one
 */
export function notifyReady(status?: string): boolean {
  const text = status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`;
  return send(text, true);
}

/**
 * Sends `STATUS=text` (sd_notify(3)): a one-line status for humans. Newlines become spaces.
 * Nothing to do for the s6 notification fd, which carries readiness only.
 * @returns true when sent. @throws NotifyError as {@link notifyReady}
 */
export function notifyStatus(text: string): boolean {
  return send(`STATUS=${oneLine(text)}`, false);
}

/**
 * Sends `STOPPING=1` (sd_notify(3)): the program began shutting down. Only on `$NOTIFY_SOCKET`.
 * @returns true when sent. @throws NotifyError as {@link notifyReady}
 */
export function notifyStopping(): boolean {
  return send('STOPPING=1', false);
}

/**
 * Sends `WATCHDOG=1` (sd_notify(3)): the keep-alive ping for warden's `watchdog` or systemd's
 * `WatchdogSec=`. Send it at least every `$WATCHDOG_USEC` µs (half that is the usual choice).
 * Only on `$NOTIFY_SOCKET`.
 * @returns true when sent. @throws NotifyError as {@link notifyReady}
 */
export function notifyWatchdog(): boolean {
  return send('WATCHDOG=1', false);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
