// The `watch` of one service (docs/config/watch.md): changed files restart it, once per burst
// (`debounce` after the last change), and changes seen while a restart is under way make one
// more restart after it, never a loop. With several instances or a `ready` check, and some
// instance running, the restart is rolling: a change whose new instance fails is not applied,
// the old instances keep serving, and the status says why.
import type { ServiceSpec, WatchSpec } from '../../config/types.js';
import type { Clock } from '../../core/clock.js';
import type { StateName } from '../../core/instance.js';
import type { WatchStatus } from '../../core/watch.js';
import { watchFiles, type FileWatch } from '../../effects/files/file-watch.js';
import type { RollingRestartError } from '../rolling-restart.js';
import type { Runner } from '../runner/runner.js';
import { ignoredPaths } from './ignored.js';

/** What a service's watch needs of the supervisor. */
export interface WatchHost {
  clock: Clock;
  /** The service's instances now (none once it is gone). */
  runners(service: string): readonly Runner[];
  /** Restarts these instances; resolves once each was spawned again. */
  restart(names: readonly string[]): Promise<unknown>;
  /** A rolling restart of `service` (Supervisor.rollingRestart). @throws RollingRestartError */
  rollingRestart(service: string): Promise<unknown>;
  /** For the daemon log. */
  log(line: string): void;
}

/** Watches one service's files and restarts it when they change. */
export class ServiceWatch {
  readonly #host: WatchHost;
  #spec: ServiceSpec;
  readonly #watch: WatchSpec;
  #files: FileWatch | undefined;
  #isClosed = false;
  #debounce: unknown;
  /** A restart for changes is under way. */
  #isRestarting = false;
  /** Changes came while a restart was under way: one more restart after it. */
  #isPending = false;
  #lastChangeAt: number | null = null;
  #notApplied: string | null = null;

  constructor(spec: ServiceSpec & { watch: WatchSpec }, host: WatchHost) {
    this.#spec = spec;
    this.#watch = spec.watch;
    this.#host = host;
  }

  /** The `watch` this was made for (a new one needs a new ServiceWatch). */
  get watch(): WatchSpec {
    return this.#watch;
  }

  /** Begins watching; resolves once the initial scan is done. */
  async open(): Promise<void> {
    const isIgnored = ignoredPaths(this.#watch.ignore, this.#spec.cwd, this.#watch.paths);
    const files = await watchFiles(this.#watch.paths, isIgnored, {
      onChange: (path) => this.#changed(path),
      onError: (message) => this.#host.log(`${this.#spec.name}: watch: ${message}`),
    });
    if (this.#isClosed) await files.close();
    else this.#files = files;
  }

  /** The service's new definition (same `watch`): used by the next restart. */
  useSpec(spec: ServiceSpec): void {
    this.#spec = spec;
  }

  /** What status shows on each instance of the service. */
  status(): WatchStatus {
    return {
      applying: this.#isRestarting || this.#isPending || this.#debounce !== undefined,
      lastChangeAt: this.#lastChangeAt,
      notApplied: this.#notApplied,
    };
  }

  /** Stops watching; a restart under way runs to its end, none follows. */
  async close(): Promise<void> {
    this.#isClosed = true;
    if (this.#debounce !== undefined) this.#host.clock.cancel(this.#debounce);
    this.#debounce = undefined;
    this.#isPending = false;
    await this.#files?.close();
  }

  #changed(path: string): void {
    if (this.#isClosed) return;
    this.#lastChangeAt = this.#host.clock.now();
    if (this.#debounce !== undefined) this.#host.clock.cancel(this.#debounce);
    this.#debounce = this.#host.clock.after(this.#watch.debounceMs, () => {
      this.#debounce = undefined;
      this.#host.log(`${this.#spec.name}: files changed (${path}...)`);
      void this.#apply();
    });
  }

  // Restarts the service for the changes seen so far, then again once if more came meanwhile.
  async #apply(): Promise<void> {
    if (this.#isRestarting) {
      this.#isPending = true;
      return;
    }
    this.#isRestarting = true;
    try {
      do {
        this.#isPending = false;
        await this.#restart();
      } while (this.#isPending && !this.#isClosed);
    } finally {
      this.#isRestarting = false;
    }
  }

  // One restart: rolling where an old instance can keep serving, else all at once. Instances a
  // user stopped (or never started) stay stopped.
  async #restart(): Promise<void> {
    const name = this.#spec.name;
    const runners = this.#host.runners(name);
    const wanted = runners.filter((r) => r.model.current.state !== 'stopped');
    if (wanted.length === 0) return;
    const serves = runners.some((r) => r.model.current.state === 'running');
    const isRolling = serves && (this.#spec.instances > 1 || this.#spec.ready !== null);
    try {
      if (isRolling) await this.#host.rollingRestart(name);
      else {
        await this.#host.restart(wanted.map((r) => r.name));
        // Settled (running, or ended) before a change that came meanwhile restarts it again.
        await Promise.all(wanted.map((r) => r.until((m) => !isUnderWay(m.current.state))));
      }
      this.#notApplied = null;
    } catch (error) {
      this.#notApplied = notAppliedReason(error);
      this.#host.log(`${name}: change not applied: ${this.#notApplied}`);
    }
  }
}

function isUnderWay(state: StateName): boolean {
  return state === 'starting' || state === 'stopping';
}

// `new instance failed (exit 1): its last stderr line`, or what else stopped the restart.
function notAppliedReason(error: unknown): string {
  // Not instanceof: this module is loaded apart from the daemon's bundle, with its own classes.
  const rolling = error as Partial<RollingRestartError> | null;
  if (rolling?.code === 'ROLLING_RESTART_FAILED' && typeof rolling.exit === 'string') {
    const said = typeof rolling.stderr === 'string' ? `: ${rolling.stderr}` : '';
    return `new instance failed (${rolling.exit})${said}`;
  }
  return error instanceof Error ? error.message : String(error);
}
