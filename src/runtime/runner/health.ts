// The health probes of one instance (config `health`), running exactly while it is `running`,
// and the last restart they caused. The probe loop is loaded on first use: a daemon whose
// services have no `health` never loads it.
import type { ServiceSpec } from '../../config/types.js';
import type { Clock } from '../../core/clock.js';
import { healthFailedReason, healthStatus, type HealthStatus } from '../../core/health.js';
import type { InstanceEvent, InstanceModel, InstanceState } from '../../core/instance.js';
import type { HealthProbes } from '../health/health-probes.js';

type ProbesModule = typeof import('../health/health-probes.js');
let loaded: ProbesModule | undefined;

/** What a runner lends its health probes. */
export interface HealthHost {
  clock: Clock;
  /** Feeds the instance's state machine (`health`). */
  dispatch: (event: InstanceEvent) => void;
  /** The environment services inherit (an exec probe gets it with the service's `env`). */
  baseEnv: NodeJS.ProcessEnv;
  /** For the daemon log. */
  log: (message: string) => void;
}

/** Starts and stops an instance's health probes as its state and spec change. */
export class HealthSlot {
  readonly #host: HealthHost;
  #probes: HealthProbes | undefined;
  /** The last restart the probes caused since a user's start. */
  #lastRestart: HealthStatus['lastRestart'] = null;
  #isClosed = false;
  /** The spec whose probes should run now (the instance is running); undefined: none. */
  #want: ServiceSpec | undefined;

  constructor(host: HealthHost) {
    this.#host = host;
  }

  /**
   * After `event` moved the instance from `from` to `m`'s state, or (event undefined) after a
   * new spec: probes run while it is `running` with `health`, from a fresh start at each run.
   */
  follow(
    event: InstanceEvent | undefined,
    from: InstanceState,
    m: InstanceModel,
    spec: ServiceSpec,
  ): void {
    const to = m.current;
    if (event?.type === 'start' || event?.type === 'restart') this.#lastRestart = null;
    if (event?.type === 'health' && event.error !== null && to.state === 'stopping') {
      const failures = from.state === 'running' ? (from.health?.failures ?? 0) + 1 : 1;
      const reason = healthFailedReason(failures, event.error);
      this.#lastRestart = { at: this.#host.clock.now(), reason };
    }
    const wanted = to.state === 'running' && spec.health !== null && !this.#isClosed;
    const isNewRun = from.state !== 'running' || (to.state === 'running' && from.pid !== to.pid);
    if (wanted && !isNewRun && this.#want === spec) return;
    this.#probes?.stop();
    this.#probes = undefined;
    this.#want = wanted ? spec : undefined;
    this.#sync();
  }

  /** The `health` of `status --json`; null for a service without it. */
  status(m: InstanceModel, spec: ServiceSpec): HealthStatus | null {
    return healthStatus(m, spec, this.#lastRestart);
  }

  /** Stops the probes for good (the daemon is closing, or lets the instance go). */
  close(): void {
    this.#isClosed = true;
    this.#want = undefined;
    this.#probes?.stop();
  }

  // Starts the probes wanted, once their module is loaded (a load resolves after the instance
  // may have left `running`: then none is wanted any more).
  #sync(): void {
    const spec = this.#want;
    if (spec?.health == null || this.#probes !== undefined || this.#isClosed) return;
    if (loaded === undefined) {
      import('../health/health-probes.js').then(
        (mod) => {
          loaded = mod;
          this.#sync();
        },
        (error: unknown) => this.#host.log(`health: cannot load the probes: ${String(error)}`),
      );
      return;
    }
    const context = { cwd: spec.cwd, env: { ...this.#host.baseEnv, ...spec.env } };
    this.#probes = new loaded.HealthProbes(spec.health, context, this.#host.clock, (error) =>
      this.#host.dispatch({ type: 'health', error }),
    );
    this.#probes.start();
  }
}
