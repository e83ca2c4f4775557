// The readiness probe of one instance (config `ready`, `watchdog`), made again when the spec
// changes (a changed `ready` takes effect at the next spawn), and the `STATUS=` text it heard.
import type { ServiceSpec } from '../../config/types.js';
import type { InstanceEvent } from '../../core/instance.js';
import { readProc } from '../../effects/containment/proc.js';
import type { ReadinessProbe } from '../readiness/types.js';
import type { ProcessHold } from './hold.js';
import type { ProbeFactory } from './options.js';

/** The probe of an instance without a readiness check: it does nothing. */
const NO_PROBE: ReadinessProbe = {
  extras: () => ({ env: {}, pipes: [] }),
  started: () => undefined,
  line: () => undefined,
  stop: () => undefined,
  close: () => undefined,
};

/** What a runner lends its probes. */
export interface ProbeHost {
  /** The instance's name now (it changes with the service's instance count). */
  name: () => string;
  /** Feeds the instance's state machine (`ready`, `watchdog-ping`). */
  dispatch: (event: InstanceEvent) => void;
  /** For the daemon log. */
  log: (message: string) => void;
  /** True when `pid` belongs to the instance's tree. */
  isMember: (pid: number) => boolean;
  /** The pids of the tree's live processes now (read as far as the caller iterates). */
  members: () => Iterable<number>;
}

/** Holds an instance's current probe, made by `factory` (undefined: never any). */
export class ProbeSlot {
  readonly #factory: ProbeFactory | undefined;
  readonly #host: ProbeHost;
  #probe: ReadinessProbe = NO_PROBE;
  #spec: ServiceSpec | undefined;
  /** The last sd_notify `STATUS=` text since the last spawn; null before any. */
  statusText: string | null = null;
  /** Why the readiness check has not passed since the last spawn; null once it passed. */
  waiting: string | null = null;

  constructor(factory: ProbeFactory | undefined, host: ProbeHost) {
    this.#factory = factory;
    this.#host = host;
  }

  /** The probe in use now. */
  get current(): ReadinessProbe {
    return this.#probe;
  }

  /** The probe of a new spawn of `spec` (see follow): what the last run told is forgotten. */
  forSpawn(spec: ServiceSpec): ReadinessProbe {
    this.statusText = null;
    this.waiting = null;
    return this.follow(spec);
  }

  /** The probe for `spec`: the current one, or (the spec changed) a new one in its place. */
  follow(spec: ServiceSpec): ReadinessProbe {
    if (this.#factory === undefined || this.#spec === spec) return this.#probe;
    this.#probe.close();
    this.#spec = spec;
    const host = this.#host;
    this.#probe = this.#factory(
      spec,
      host.name(),
      {
        ready: (source) => {
          this.waiting = null;
          host.dispatch({ type: 'ready', source });
        },
        status: (text) => void (this.statusText = text),
        waiting: (why) => void (this.waiting = why),
        watchdog: () => host.dispatch({ type: 'watchdog-ping' }),
        log: host.log,
      },
      host.isMember,
      host.members,
    );
    return this.#probe;
  }
}

/**
 * The pids of `hold`'s tree, the main process first: a readiness check that finds its listener
 * there never reads the whole tree (a pass over /proc in process-group mode).
 */
export function* treePids(hold: ProcessHold): Generator<number> {
  const main = hold.process;
  const isMainAlive = main !== undefined && readProc(main.pid)?.startTime === main.startTime;
  if (isMainAlive) yield main.pid;
  for (const p of hold.members()) if (!isMainAlive || p.pid !== main.pid) yield p.pid;
}
