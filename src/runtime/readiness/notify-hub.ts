// The daemon-wide sd_notify endpoint: the daemon's socket for instances running as its own user,
// one more per other user services run as, each datagram attributed to the instance whose
// process tree holds its sender (by SO_PASSCRED pid), or refused.
import { join } from 'node:path';
import {
  NOTIFY_MAX_BYTES,
  openNotifySocket,
  type Datagram,
  type NotifySocketError,
} from '../../effects/notify/notify-socket.js';
import { prepareRuntimeDir, removeRuntimeDir } from '../../effects/notify/runtime-dir.js';
import { parseNotifyText, type NotifyMessage } from './notify-message.js';

export type { NotifyMessage, NotifyField } from './notify-message.js';

/** The notify sockets of the daemon, shared by every instance. */
export interface NotifyHub {
  /** The value of `NOTIFY_SOCKET` for instances running as the daemon's user (an absolute path). */
  readonly socketPath: string;
  /**
   * The value of `NOTIFY_SOCKET` for instances running as `uid` (null: the daemon's user): the
   * daemon's socket, or for another user a socket only that user can reach, bound on first
   * asking (`<userSocketDir>/notify-<uid>.sock`) and kept until `close`.
   * @returns the path, or why that user's socket cannot be bound (the daemon log says so too)
   */
  socketFor(
    uid: number | null,
  ): { ok: true; path: string } | { ok: false; error: NotifySocketError };
  /**
   * Routes messages whose sender pid satisfies `isMember` (the instance's
   * InstanceTree.contains) to `handler`. @returns a function that ends the registration
   */
  register(
    instance: string,
    isMember: (pid: number) => boolean,
    handler: (msg: NotifyMessage) => void,
  ): () => void;
  /**
   * Handles at once, in order, every datagram the socket holds or its thread has read but not
   * yet handed over (a watchdog deadline is judged after them). Returns when none is left.
   */
  drain(): void;
  /** Closes the socket and unlinks it; registrations end. */
  close(): Promise<void>;
}

/** What `openNotifyHub` gives: the hub, or why its socket could not be bound. */
export type OpenNotifyHubResult =
  { ok: true; hub: NotifyHub } | { ok: false; error: NotifySocketError };

interface Registration {
  instance: string;
  isMember: (pid: number) => boolean;
  handler: (msg: NotifyMessage) => void;
}

// Pids already reported as refused; bounded so that a flood cannot grow it without end.
const MAX_REMEMBERED = 1024;

/** Where the sockets of services running as other users go. */
export interface UserSockets {
  /** A directory outside the home, made 0711 on first use (e.g. `/run/warden/<tag>`). */
  dir: string;
  /** The daemon's uid: instances running as it use the daemon's own socket. */
  daemonUid: number;
}

/**
 * Opens the notify socket at `path` (the daemon uses `WARDEN_HOME/notify.sock`; see
 * openNotifySocket for its mode and what replacing a stale one means), and, on demand, one per
 * other user in `users.dir`. Messages from a process in no registered tree are dropped, and
 * `log` says so once per pid, whichever socket they came through. sd_notify(3), unix(7).
 */
export function openNotifyHub(
  path: string,
  log: (message: string) => void,
  users?: UserSockets,
): OpenNotifyHubResult {
  const registrations = new Set<Registration>();
  const refused = new Set<number>();
  let warnedNoCredentials = false;
  const decoder = new TextDecoder();

  const refuseOnce = (pid: number, why: string): void => {
    if (refused.has(pid)) return;
    if (refused.size >= MAX_REMEMBERED) refused.clear();
    refused.add(pid);
    log(`notify: refused a message from pid ${pid}: ${why}`);
  };

  const dispatch = (d: Datagram): void => {
    if (d.sender === null) {
      if (!warnedNoCredentials) log('notify: dropped a datagram without sender credentials');
      warnedNoCredentials = true;
      return;
    }
    const { pid } = d.sender;
    if (d.truncated) return refuseOnce(pid, `longer than ${NOTIFY_MAX_BYTES} bytes`);
    const owner = [...registrations].find((r) => isMemberSafely(r, pid));
    if (owner === undefined) return refuseOnce(pid, 'not in the process tree of any instance');
    const msg: NotifyMessage = {
      sender: d.sender,
      fields: parseNotifyText(decoder.decode(d.data)),
    };
    try {
      owner.handler(msg);
    } catch (error) {
      log(`notify: handling a message of ${owner.instance} failed: ${String(error)}`);
    }
  };

  const opened = openNotifySocket(path, {
    datagram: dispatch,
    error: (code, message) => log(`notify: ${message} (${code})`),
  });
  if (!opened.ok) return opened;
  const { socket } = opened;
  const perUser = new Map<number, string>();
  const socketFor: NotifyHub['socketFor'] = (uid) => {
    if (uid === null || users === undefined || uid === users.daemonUid) return { ok: true, path };
    const known = perUser.get(uid);
    if (known !== undefined) return { ok: true, path: known };
    const at = join(users.dir, `notify-${uid}.sock`);
    const error = prepareRuntimeDir(users.dir) ?? socket.add(at, uid);
    if (error !== undefined) {
      log(`notify: no socket for uid ${uid}: ${error.message}`);
      return { ok: false, error };
    }
    perUser.set(uid, at);
    return { ok: true, path: at };
  };
  const hub: NotifyHub = {
    socketPath: path,
    socketFor,
    register(instance, isMember, handler) {
      const r: Registration = { instance, isMember, handler };
      registrations.add(r);
      socket.listen();
      return () => void registrations.delete(r);
    },
    drain: () => socket.drain(),
    async close() {
      registrations.clear();
      await socket.close();
      if (perUser.size > 0 && users !== undefined) removeRuntimeDir(users.dir);
    },
  };
  return { ok: true, hub };
}

// A tree whose state cannot be read (a cgroup being removed) holds no one.
function isMemberSafely(r: Registration, pid: number): boolean {
  try {
    return r.isMember(pid);
  } catch {
    return false;
  }
}
