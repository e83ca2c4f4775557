// Who may drive the daemon: only root and the daemon's own user (DESIGN.md section 7).
import type { Socket } from 'node:net';
import { peerCredentials } from '../effects/ffi/fds.js';

/**
 * Checks the peer of a new control connection by SO_PEERCRED, whatever the socket's mode.
 * @returns undefined to serve it, or why it is refused
 */
export function refuseOtherUsers(socket: Socket): string | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return 'cannot read the peer credentials';
  try {
    const { uid, pid } = peerCredentials(fd);
    const me = process.getuid?.() ?? 0;
    return uid === me || uid === 0
      ? undefined
      : `pid ${pid} runs as uid ${uid}, the daemon as uid ${me}`;
  } catch (error) {
    return `cannot read the peer credentials: ${String(error)}`;
  }
}
