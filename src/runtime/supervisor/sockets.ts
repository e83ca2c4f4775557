// The supervisor's side of `listen`: the sockets holder (listen-sockets.ts), loaded by the first
// config that has a socket, so a daemon without one never loads it.
import type { ServiceSpec, WardenConfig } from '../../config/types.js';
import type { ListenStatus } from '../../core/status.js';
import type { PassedSocket } from '../../effects/spawn/listen-fds.js';
import type { ListenSockets } from '../listen-sockets.js';
import { pidOf } from '../../core/instance.js';
import type { Registry } from './registry.js';

/** The listening sockets of a supervisor's services. */
export class ServiceSockets {
  #sockets: ListenSockets | undefined;

  /** `pidsOf` gives the pids of a service's instances now (to take their sockets back). */
  constructor(private readonly pidsOf: (service: string) => number[]) {}

  /** The sockets an instance of `service` gets. */
  of(service: string): PassedSocket[] {
    return this.#sockets?.of(service) ?? [];
  }

  /**
   * Binds (or takes back) the sockets of `config` (ListenSockets.rebind).
   * @returns what closes those no longer named; undefined when no config had sockets
   * @throws ListenError
   */
  async rebind(config: WardenConfig): Promise<(() => void) | undefined> {
    if (this.#sockets === undefined && !hasSockets(config.services)) return undefined;
    this.#sockets ??= new (await import('../listen-sockets.js')).ListenSockets();
    return this.#sockets.rebind(config, this.pidsOf);
  }

  /**
   * After `before`, takes back the sockets of `specs` (restored services) from their instances,
   * or binds them anew; a failure is logged (the next `up` or `reload` reports it again).
   * @returns `before` followed by that
   */
  takeBack(
    before: Promise<void>,
    specs: ServiceSpec[],
    log: (line: string) => void,
  ): Promise<void> {
    if (!hasSockets(specs)) return before;
    const config = { path: '', services: specs };
    return before
      .then(() => this.rebind(config))
      .then(
        (closeUnused) => closeUnused?.(),
        (error: unknown) =>
          log(`listen: ${error instanceof Error ? error.message : String(error)}`),
      );
  }

  /** Every service's sockets. */
  status(): ListenStatus[] {
    return this.#sockets?.status() ?? [];
  }

  /** From now on, closing a unix socket leaves its file (the instances serve on). */
  keepFiles(): void {
    this.#sockets?.keepFiles();
  }

  /** Closes every socket. */
  closeAll(): void {
    this.#sockets?.closeAll();
  }
}

/** The pids of the instances of `service` now. */
export function instancePids(registry: Registry, service: string): number[] {
  return (registry.get(service)?.runners ?? []).flatMap((r) => {
    const pid = pidOf(r.model.current);
    return pid === null ? [] : [pid];
  });
}

/** True when one of `services` has a `listen` socket. */
function hasSockets(services: readonly ServiceSpec[]): boolean {
  return services.some((s) => s.listen.length > 0);
}
