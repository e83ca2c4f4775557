// The top-level `http` applied (docs/config/http.md): the HTTP server module is imported only
// when a config has the key, so a daemon without it loads neither it nor prom-client
// (docs/benchmarks.md "Memory"). Applied before the services, so an address that cannot be
// bound fails `up` or `reload` with nothing changed.
import type { HttpSpec } from '../config/types.js';
import type { HttpService } from '../http/http-service.js';
import type { WardenSource } from '../http/source.js';
import { ProtocolError } from '../ipc/protocol.js';
import { METHOD_PARAMS } from '../ipc/method-params.js';
import { toErrorBody, type MethodTable } from '../ipc/server.js';
import type { Supervisor } from '../runtime/supervisor/supervisor.js';
import type { EventBus } from './events.js';

/**
 * What the HTTP server reads of this daemon; `methods` gives the control protocol's method
 * table (the one warden.sock serves), which the REST API calls. Errors are turned into answers
 * here, where the error classes are the daemon's own (the HTTP module, loaded apart from the
 * daemon's bundle, has copies of its own that `instanceof` would not match).
 */
export function httpSource(
  supervisor: Supervisor,
  events: EventBus,
  version: string,
  logDir: string,
  methods: () => MethodTable,
  log: (line: string) => void,
): WardenSource {
  return {
    version,
    instances: () => supervisor.resolve([]),
    subscribe: (fn) => events.subscribe(fn),
    logCounts: () => supervisor.logCounts(),
    logDir,
    call: async (method, params, peer) => {
      try {
        return { result: await methods()[method](params, peer) };
      } catch (error) {
        return { error: toErrorBody(error, (line) => log(`http: ${method}: ${line}`)) };
      }
    },
    params: METHOD_PARAMS,
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
