// The daemon-wide sd_notify endpoint: one socket for every instance, each datagram attributed to
// the instance whose process tree holds its sender (by SO_PASSCRED pid), or refused.
import {
  NOTIFY_MAX_BYTES,
  openNotifySocket,
  type Datagram,
  type NotifySocketError,
} from '../../effects/notify/notify-socket.js';
import { parseNotifyText, type NotifyMessage } from './notify-message.js';

export type { NotifyMessage, NotifyField } from './notify-message.js';

/** The notify socket of the daemon, shared by every instance. */
export interface NotifyHub {
  /** The value of `NOTIFY_SOCKET` for instances (an absolute path). */
  readonly socketPath: string;
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

/**
 * Opens the notify socket at `path` (the daemon uses `WARDEN_HOME/notify.sock`; see
 * openNotifySocket for its mode and what replacing a stale one means). Messages from a process
 * in no registered tree are dropped, and `log` says so once per pid. sd_notify(3), unix(7).
 */
export function openNotifyHub(path: string, log: (message: string) => void): OpenNotifyHubResult {
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
  const hub: NotifyHub = {
    socketPath: path,
    register(instance, isMember, handler) {
      const r: Registration = { instance, isMember, handler };
      registrations.add(r);
      opened.socket.listen();
      return () => void registrations.delete(r);
    },
    drain: () => opened.socket.drain(),
    async close() {
      registrations.clear();
      await opened.socket.close();
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
