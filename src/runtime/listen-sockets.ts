// The listening sockets a daemon holds for its services (config `listen`; docs/config/listen.md):
// bound before an instance of the service starts, kept across restarts and reloads that keep the
// address, so connections wait in the backlog while no instance accepts; a reload that changes
// an address binds the new one; a removed service's are closed. Loaded only by a config that
// has `listen` (the supervisor imports it on demand).
import type { ListenSpec, WardenConfig } from '../config/types.js';
import type { ListenStatus } from '../core/status.js';
import { errnoOf } from '../effects/ffi/errno.js';
import {
  bindListeningSocket,
  closeListeningSocket,
  setBacklog,
  takeListeningSocket,
  updateSocketFile,
  type BoundSocket,
} from '../effects/listen/bind-socket.js';
import type { PassedSocket } from '../effects/spawn/listen-fds.js';
import { ListenError } from './supervisor/errors.js';

export { ListenError };

// What an errno means for a listen address, and what to do.
const HINTS: Readonly<Record<string, string>> = {
  EADDRINUSE:
    "another program, or a socket that is not warden's, holds this address; stop it or pick another (for a unix path: a file that is not a socket is in the way)",
  EACCES:
    'permission denied: a port under 1024 needs root or CAP_NET_BIND_SERVICE; a unix path needs a writable directory',
  EADDRNOTAVAIL: 'no interface of this machine has this address',
  EAFNOSUPPORT: 'this kernel has no IPv6; use an IPv4 address',
  EPERM: 'the daemon may not give the socket file this owner (chown needs root)',
  ENOENT: "the socket's directory does not exist; create it first",
};

interface Held {
  socket: BoundSocket;
  spec: ListenSpec;
  service: string;
}

// Port 0 picks a new port at each bind: such an entry is kept by its place, not its address.
function keyOf(service: string, spec: ListenSpec, index: number): string {
  return spec.bind.kind === 'tcp' && spec.bind.port === 0
    ? `${service}#${index}#${spec.address}`
    : spec.address;
}

/** The sockets of every service of a daemon. */
export class ListenSockets {
  #held = new Map<string, Held>();
  #byService = new Map<string, Held[]>();
  #isKeepingFiles = false;

  /**
   * Binds what `config` adds (addresses nobody holds yet) and keeps what it keeps, giving each
   * service its sockets from now on. Nothing changes when one bind fails. A socket this daemon
   * does not hold yet is first taken back from a live instance of its service (`pidsOf`), which
   * got it from an earlier daemon (adoption: `down --keep-services`, a crash), so the instances
   * that run on and the ones started from now share it again.
   * @returns a function that closes the sockets `config` no longer names (call it once the
   * instances that used them were stopped or restarted)
   * @throws ListenError naming the service, the address and the errno
   */
  rebind(config: WardenConfig, pidsOf: (service: string) => number[] = () => []): () => void {
    const next = new Map<string, Held>();
    const byService = new Map<string, Held[]>();
    const fresh: Held[] = [];
    try {
      for (const svc of config.services) {
        const list = svc.listen.map((spec, i) => {
          const key = keyOf(svc.name, spec, i);
          const kept = this.#held.get(key);
          const held =
            kept === undefined
              ? (this.#takeBack(svc.name, spec, i, pidsOf(svc.name), fresh) ??
                this.#bind(svc.name, spec, fresh))
              : this.#keep(kept, spec);
          const entry = { ...held, service: svc.name, spec };
          next.set(key, entry);
          return entry;
        });
        if (list.length > 0) byService.set(svc.name, list);
      }
    } catch (error) {
      for (const h of fresh) closeListeningSocket(h.socket, pathOf(h.spec));
      throw error;
    }
    const old = [...this.#held].filter(([key]) => !next.has(key)).map(([, h]) => h);
    this.#held = next;
    this.#byService = byService;
    return () => {
      for (const h of old) closeListeningSocket(h.socket, pathOf(h.spec));
    };
  }

  #bind(service: string, spec: ListenSpec, fresh: Held[]): Held {
    try {
      const held = { socket: bindListeningSocket(spec.bind, spec.backlog), spec, service };
      fresh.push(held);
      return held;
    } catch (error) {
      const errno = errnoOf(error) ?? 'EIO';
      const call = (error as { syscall?: string }).syscall;
      const detail = HINTS[errno] ?? (call === undefined ? 'see errno(3)' : `${call} failed`);
      throw new ListenError(service, spec.address, errno, detail);
    }
  }

  // The socket an instance of `service` has at fd 3 + index, if it listens at the address.
  #takeBack(
    service: string,
    spec: ListenSpec,
    index: number,
    pids: readonly number[],
    fresh: Held[],
  ): Held | undefined {
    for (const pid of pids) {
      const socket = takeListeningSocket(pid, 3 + index, spec.bind);
      if (socket === undefined) continue;
      const held = { socket, spec, service };
      fresh.push(held);
      return held;
    }
    return undefined;
  }

  // A socket kept: a new backlog, mode or owner applies to it as it is.
  #keep(kept: Held, spec: ListenSpec): Held {
    if (kept.spec.backlog !== spec.backlog) setBacklog(kept.socket.fd, spec.backlog);
    if (spec.bind.kind === 'unix') updateSocketFile(spec.bind);
    return kept;
  }

  /** The sockets an instance of `service` gets, in `listen` order. */
  of(service: string): PassedSocket[] {
    return (this.#byService.get(service) ?? []).map((h) => ({
      fd: h.socket.fd,
      name: h.spec.name ?? service,
    }));
  }

  /** Every service's sockets, for `status --json` (config order). */
  status(): ListenStatus[] {
    return [...this.#byService.values()].flat().map((h, i, all) => ({
      service: h.service,
      name: h.spec.name ?? h.service,
      address: h.spec.address,
      bound: h.socket.local,
      fd: 3 + all.slice(0, i).filter((o) => o.service === h.service).length,
      backlog: h.spec.backlog,
    }));
  }

  /** Closing leaves unix socket files from now on (`down --keep-services`). */
  keepFiles(): void {
    this.#isKeepingFiles = true;
  }

  /** Closes every socket (the daemon is done; unix socket files are removed, unless kept). */
  closeAll(): void {
    for (const h of this.#held.values())
      closeListeningSocket(h.socket, this.#isKeepingFiles ? null : pathOf(h.spec));
    this.#held.clear();
    this.#byService.clear();
  }
}

function pathOf(spec: ListenSpec): string | null {
  return spec.bind.kind === 'unix' ? spec.bind.path : null;
}
