// The top-level `http` applied (docs/config/http.md): the HTTP server module is imported only
// when a config has the key, so a daemon without it loads neither it nor prom-client
// (docs/benchmarks.md "Memory"). Applied before the services, so an address that cannot be
// bound fails `up` or `reload` with nothing changed.
import { Socket } from 'node:net';
import type { HttpSpec } from '../config/types.js';
import type { HttpService } from '../http/http-service.js';
import type { ActionMethod, WardenSource } from '../http/source.js';
import { ProtocolError, type ParamsOf, type ResultOf } from '../ipc/protocol.js';
import type { Handler, MethodTable } from '../ipc/server.js';
import type { Supervisor } from '../runtime/supervisor/supervisor.js';
import type { EventBus } from './events.js';

/**
 * What the HTTP server reads of this daemon; `methods` gives the control protocol's handlers
 * (asked for at the first call: the table is made after the server).
 */
export function httpSource(
  supervisor: Supervisor,
  events: EventBus,
  version: string,
  logDir: string,
  methods: () => MethodTable,
): WardenSource {
  return {
    version,
    instances: () => supervisor.resolve([]),
    subscribe: (fn) => events.subscribe(fn),
    logCounts: () => supervisor.logCounts(),
    logDir,
    // start, stop and restart do not look at the peer (only `wait` and `prove` do): an
    // unconnected socket stands for the HTTP client.
    call: <M extends ActionMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> => {
      const handler: Handler<M> = methods()[method];
      return Promise.resolve(handler(params, new Socket()));
    },
  };
}

/** The daemon's HTTP server, started, moved or stopped as the config's `http` says. */
export class HttpHolder {
  readonly #source: WardenSource;
  readonly #log: (line: string) => void;
  #service: HttpService | undefined;

  constructor(source: WardenSource, log: (line: string) => void) {
    this.#source = source;
    this.#log = log;
  }

  /**
   * Starts, moves or stops the server to match `spec` (undefined: no `http`, none runs). A new
   * address is bound before the old one closes.
   * @throws ProtocolError CONFIG_ERROR naming the key (`http.listen: cannot listen on
   *   127.0.0.1:9105: EADDRINUSE...`, an unreadable token file); the server stays as it was
   */
  async sync(spec: HttpSpec | undefined): Promise<void> {
    if (spec === undefined) {
      if (this.#service === undefined) return;
      const old = this.#service;
      this.#service = undefined;
      await old.close();
      return this.#log('http: server stopped (no "http" in the config)');
    }
    const mod = await import('../http/http-service.js');
    try {
      if (this.#service === undefined) {
        this.#service = await mod.startHttp(spec, this.#source, this.#log);
        return this.#log(`http: listening on ${this.#service.address} (GET /metrics)`);
      }
      const before = this.#service.address;
      await this.#service.apply(spec);
      if (this.#service.address !== before)
        this.#log(`http: moved from ${before} to ${this.#service.address}`);
    } catch (error) {
      if (!(error instanceof mod.HttpSetupError)) throw error;
      throw new ProtocolError('CONFIG_ERROR', `cannot apply the config: ${error.message}`, [
        error.message,
      ]);
    }
  }

  /** Stops the server, if one runs. */
  async close(): Promise<void> {
    await this.sync(undefined);
  }
}
