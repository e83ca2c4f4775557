// What the daemon's handlers act on (methods.ts, apply-config.ts).
import type { ContainmentMode } from '../effects/containment/containment.js';
import type { HomePaths } from '../home/paths.js';
import type { Supervisor } from '../runtime/supervisor/supervisor.js';
import type { EventBus } from './events.js';
import type { HttpHolder } from './http-sync.js';
import type { LimitSupport } from './limits-fit.js';

/** What the methods act on. */
export interface DaemonContext {
  supervisor: Supervisor;
  home: HomePaths;
  version: string;
  containment: ContainmentMode;
  /** Which cgroup limits the containment can apply (config `limits`). */
  limits: LimitSupport;
  /** State changes, for `subscribe`. */
  events: EventBus;
  /** The HTTP server of the config's `http` (docs/config/http.md). */
  http: HttpHolder;
  /** The key of `prove` (src/ipc/daemon-proof.ts), also in the home's `warden.key`. */
  proofKey: Buffer;
  log: (line: string) => void;
  /** True once a shutdown began: no new starts are accepted. */
  isShuttingDown: () => boolean;
  /**
   * Stops every service, then ends the daemon; with `keepServices`, ends the daemon and leaves
   * them running (state.json lets the next daemon take them back).
   */
  shutdown: (why: string, keepServices?: boolean) => Promise<void>;
  /**
   * systemd, when `warden run` runs under it (service-manager.ts): told RELOADING=1 when a
   * reload begins and READY=1 once it is applied and settled, whoever asked for it.
   */
  serviceManager?: { reloading(): void; reloaded(): void };
}
