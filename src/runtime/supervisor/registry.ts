// The services of a supervisor and their runners: made from specs, found by name, listed in
// config order with the extra instance of a rolling restart while there is one.
import { join } from 'node:path';
import { startOrder } from '../../config/dependencies.js';
import type { Dependency, ServiceSpec } from '../../config/types.js';
import type { InstanceState } from '../../core/instance.js';
import type { DependencyView } from '../dependencies.js';
import { ServiceLog } from '../../logs/service-log.js';
import type { Clock } from '../../core/clock.js';
import type { LineSink, ProbeFactory, ProcessLayer } from '../runner/options.js';
import { Runner } from '../runner/runner.js';
import type { SpawnPace } from '../spawn-pacer.js';
import { UnknownServiceError } from './errors.js';
import type { PassedSocket } from '../../effects/spawn/listen-fds.js';
import type { WatchStatus } from '../../core/watch.js';
import type { ScheduleStatus } from '../../core/schedule.js';

/** One service: its definition, its instances' runners and its log file. */
export interface Service {
  spec: ServiceSpec;
  runners: Runner[];
  /** The extra instance of a rolling restart, while there is one (see rolling-restart.ts). */
  extra?: Runner;
  logFile: ServiceLog;
}

/** What the registry makes runners and log files with. */
/** What every service of a supervisor runs with (SupervisorOptions and RegistryOptions share it). */
export interface SupervisionContext {
  clock: Clock;
  processes: ProcessLayer;
  /** Directory of the per-service log files (`<service>.log`). */
  logDir: string;
  /** The environment services inherit (the daemon's). */
  baseEnv: NodeJS.ProcessEnv;
  /** The daemon's own log: one line per state change or runtime error. */
  log: (line: string) => void;
  /** Also receives every output line (the foreground `warden run` prints them). */
  echo?: LineSink;
  /** Makes each instance's readiness probe; default: none (min_uptime only). */
  probes?: ProbeFactory;
}

/** What a Registry is made with: the supervision context, the pacer and the supervisor's hooks. */
export interface RegistryOptions extends SupervisionContext {
  /** Paces every runner's spawns. */
  pace: SpawnPace;
  /** The listening sockets an instance of `service` gets now (config `listen`). */
  socketsOf?: (service: string) => readonly PassedSocket[];
  /** The `watch` status of `service` now (config `watch`); null without one. */
  watchOf?: (service: string) => WatchStatus | null;
  /** The `schedule` status of `service` now (config `schedule`); null without one. */
  scheduleOf?: (service: string) => ScheduleStatus | null;
  /** After each transition of any runner (logged already). */
  onTransition: (runner: Runner, from: InstanceState, reason: string) => void;
  onRecordChange: () => void;
}

/** The services by name, in config order. */
export class Registry {
  readonly #o: RegistryOptions;
  readonly #services = new Map<string, Service>();

  constructor(options: RegistryOptions) {
    this.#o = options;
  }

  /** The service named `name`, if any. */
  get(name: string): Service | undefined {
    return this.#services.get(name);
  }

  /** The services, in config order. */
  services(): Service[] {
    return [...this.#services.values()];
  }

  /** The service names, in config order. */
  names(): string[] {
    return [...this.#services.keys()];
  }

  /** Adds (or replaces) `svc` at the end of the order. */
  add(svc: Service): void {
    this.#services.set(svc.spec.name, svc);
  }

  /** Forgets the service named `name`. */
  delete(name: string): void {
    this.#services.delete(name);
  }

  /** Replaces every service by `services`, in their order. */
  replace(services: readonly Service[]): void {
    this.#services.clear();
    for (const svc of services) this.#services.set(svc.spec.name, svc);
  }

  /** Every runner: each service's instances, then its extra instance. */
  all(): Runner[] {
    return this.services().flatMap((s) =>
      s.extra === undefined ? s.runners : [...s.runners, s.extra],
    );
  }

  /**
   * The runners named by `targets`: service names, instance names (`web:1`) or `all`.
   * An empty list means all. @throws UnknownServiceError naming every unknown target
   */
  resolve(targets: readonly string[]): Runner[] {
    const all = this.all();
    if (targets.length === 0 || targets.includes('all')) return all;
    const found = new Set<Runner>();
    const unknown: string[] = [];
    for (const t of targets) {
      const service = this.#services.get(t);
      const matches = service === undefined ? all.filter((r) => r.name === t) : service.runners;
      if (matches.length === 0) unknown.push(t);
      for (const r of matches) found.add(r);
    }
    if (unknown.length > 0) throw new UnknownServiceError(unknown, this.names());
    return [...found];
  }

  /** What service `name` depends on ([] for an unknown one). */
  depsOf(name: string): Dependency[] {
    return this.#services.get(name)?.spec.dependsOn ?? [];
  }

  /** Service `name`'s instances as a dependent's start gate sees them. */
  viewsOf(name: string): DependencyView[] {
    return (this.#services.get(name)?.runners ?? []).map((r) => ({
      name: r.name,
      state: r.model.current.state,
      lastExit: r.model.lastExit,
      stderr: () => r.status().stderrSummary,
    }));
  }

  /** Services in start order (each after its dependencies). */
  order(): string[] {
    return startOrder(new Map([...this.#services].map(([n, svc]) => [n, svc.spec.dependsOn])));
  }

  /** Makes service `spec` (not registered), its instances stopped. */
  create(spec: ServiceSpec): Service {
    const o = this.#o;
    const logFile = new ServiceLog(join(o.logDir, `${spec.name}.log`), spec.logs, {
      now: () => o.clock.now(),
      onError: (message) => o.log(`${spec.name}: ${message}`),
      ...(o.echo === undefined ? {} : { echo: o.echo }),
    });
    const svc: Service = { spec, runners: [], logFile };
    svc.runners = Array.from({ length: spec.instances }, (_, index) =>
      this.runner(svc, spec, index, spec.instances),
    );
    return svc;
  }

  /** Makes a runner for instance `index` of `svc`, named as one of `count`. */
  runner(svc: Service, spec: ServiceSpec, index: number, count: number): Runner {
    const o = this.#o;
    return new Runner({
      spec,
      index,
      count,
      sink: svc.logFile,
      clock: o.clock,
      processes: o.processes,
      baseEnv: o.baseEnv,
      onTransition: (runner, from, reason) => {
        const to = runner.model.current.state;
        const change = from.state === to ? to : `${from.state} -> ${to}`;
        o.log(`${runner.name}: ${change}${reason === '' ? '' : ` (${reason})`}`);
        o.onTransition(runner, from, reason);
      },
      onError: (runner, message) => o.log(`${runner.name}: ${message}`),
      onRecordChange: () => o.onRecordChange(),
      pace: o.pace,
      ...(o.socketsOf === undefined ? {} : { sockets: () => o.socketsOf?.(svc.spec.name) ?? [] }),
      ...(o.watchOf === undefined ? {} : { watch: () => o.watchOf?.(svc.spec.name) ?? null }),
      ...(o.scheduleOf === undefined
        ? {}
        : { schedule: () => o.scheduleOf?.(svc.spec.name) ?? null }),
      ...(o.probes === undefined ? {} : { probes: o.probes }),
    });
  }

  /** Makes the extra instance of `svc` (index `instances`, stopped) and lists it. */
  addExtra(svc: Service): Runner {
    const extra = this.runner(svc, svc.spec, svc.runners.length, svc.runners.length + 1);
    svc.extra = extra;
    return extra;
  }

  /** Unlists `extra` as `svc`'s extra instance, if it still is. */
  dropExtra(svc: Service, extra: Runner): void {
    if (svc.extra === extra) delete svc.extra;
  }
}
