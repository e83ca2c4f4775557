// Who may drive the daemon: root, the daemon's own user, and the members of `control.group`
// (DESIGN.md section 7, docs/config/control.md).
import type { Socket } from 'node:net';
import type { ControlAccess } from '../config/types.js';
import { peerCredentials, peerGroups } from '../effects/ffi/fds.js';

// Connections let in for their group only: they may use the socket, not learn the proof key.
const byGroup = new WeakSet<Socket>();

/** True when `socket` was accepted only because its peer is a member of `control.group`. */
export function isGroupPeer(socket: Socket): boolean {
  return byGroup.has(socket);
}

/**
 * Makes the check of the peer of a new control connection, by the credentials the kernel
 * recorded at connect(2) (SO_PEERCRED, SO_PEERGROUPS), whatever the socket's mode.
 * @param control the current `control` of the config (read at each connection: a reload changes it)
 * @returns the check: undefined to serve the connection, or why it is refused (with the peer's
 *   pid and uid, for the daemon's log)
 */
export function peerCheck(
  control: () => ControlAccess | undefined,
): (socket: Socket) => string | undefined {
  return (socket) => {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (fd === undefined || fd < 0) return 'cannot read the peer credentials';
    const me = process.getuid?.() ?? 0;
    try {
      const { uid, gid, pid } = peerCredentials(fd);
      if (uid === me || uid === 0) return undefined;
      const access = control();
      const who = `pid ${pid} runs as uid ${uid}`;
      if (access === undefined) return `${who}, the daemon as uid ${me}`;
      // The groups it had at connect(2), not /proc/PID/status now: that pid may be reused.
      if (gid === access.gid || peerGroups(fd).includes(access.gid)) {
        byGroup.add(socket);
        return undefined;
      }
      return `${who}, not root, the daemon's uid ${me}, nor a member of group ${access.group} (control.group)`;
    } catch (error) {
      return `cannot read the peer credentials: ${String(error)}`;
    }
  };
}
