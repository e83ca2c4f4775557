// The registry of services and their runners: applies a config, resolves names, and turns
// start/stop/restart/signal requests into runner events.
import { join } from 'node:path';
import { startOrder } from '../config/dependencies.js';
import type { Dependency, ServiceSpec, WardenConfig } from '../config/types.js';
import {
  isActive,
  type InstanceModel,
  type InstanceState,
  type StateName,
} from '../core/instance.js';
import type { SignalName } from '../core/signals.js';
import type { InstanceStatus } from '../core/status.js';
import { ServiceLog } from '../logs/service-log.js';
import type { Clock } from './clock.js';
import { StartGate, stopBatches, withDependencies } from './dependencies.js';
import type { InstanceRecord } from './instance-record.js';
import { Leftovers } from './leftovers.js';
import { stopLeftovers } from './stop-leftovers.js';
import { planReload, type ReloadPlan } from './reload-plan.js';
import { restartRolling } from './rolling-restart.js';
import { SpawnPacer } from './spawn-pacer.js';
import {
  Runner,
  type LineSink,
  type ProbeFactory,
  type ProcessLayer,
  type RestoreOutcome,
} from './runner.js';

/** What a supervisor is built from. */
export interface SupervisorOptions {
  clock: Clock;
  processes: ProcessLayer;
  /** Directory of the per-service log files (`<service>.log`). */
  logDir: string;
  baseEnv: NodeJS.ProcessEnv;
  /** The daemon's own log: one line per state change or runtime error. */
  log: (line: string) => void;
  /** Also receives every output line (the foreground `warden run` prints them). */
  echo?: LineSink;
  /** Makes each instance's readiness probe; default: none (min_uptime only). */
  probes?: ProbeFactory;
  /** Called after every state change of any instance. */
  onChange?: (runner: Runner, from: InstanceState, reason: string) => void;
  /** Called after any change of what `records()` returns (for state.json). */
  onRecordChange?: () => void;
  /**
   * The process trees an earlier daemon of this home left running (found at start-up): taken
   * back by their instances on restore or on the first apply, the rest stopped. Default: none.
   */
  leftovers?: Leftovers;
}

/** A name on the command line that matches no service or instance. */
export class UnknownServiceError extends Error {
  readonly code = 'UNKNOWN_SERVICE';
  constructor(
    readonly names: string[],
    known: string[],
  ) {
    const list = known.length === 0 ? 'no services are loaded' : `known: ${known.join(', ')}`;
    super(`unknown service ${names.map((n) => `"${n}"`).join(', ')} (${list})`);
  }
}

/** A start asked for while the daemon stops everything. */
export class ShuttingDownError extends Error {
  readonly code = 'SHUTTING_DOWN';
  constructor() {
    super('the daemon is shutting down; nothing new starts');
  }
}

interface Service {
  spec: ServiceSpec;
  runners: Runner[];
  /** The extra instance of a rolling restart, while there is one. */
  surge?: Runner;
  logFile: ServiceLog;
}

/** All services of one daemon. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #services = new Map<string, Service>();
  readonly #leftovers: Leftovers;
  /** Stops of leftover trees under way (awaited by stopAll). */
  #stoppingLeftovers: Promise<void> = Promise.resolve();
  #config: WardenConfig | null = null;
  #closing = false;
  #applying: Promise<void> = Promise.resolve();
  /** Every instance's spawns, a few an event-loop turn (a bring-up of thousands holds no turn). */
  readonly #pace = new SpawnPacer();
  /** Services (and which of their runners) waiting for dependencies before they start. */
  readonly #gate = new StartGate<Runner>(
    (n) => this.#depsOf(n),
    (n) => this.#statesOf(n),
  );

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#leftovers = options.leftovers ?? new Leftovers([]);
  }

  /** The config last applied, or null. */
  get config(): WardenConfig | null {
    return this.#config;
  }

  /**
   * Applies a config by its difference from what runs (planReload): removed services are
   * stopped and forgotten, live instances started from another definition restart, instance
   * counts grow (new instances start when the service is wanted) or shrink, and everything else
   * applies live; added services are created stopped (the caller starts them). Applies run one
   * at a time. With `dryRun`, only plans. @returns the plan carried out
   * @throws ShuttingDownError
   */
  async apply(config: WardenConfig, options: { dryRun?: boolean } = {}): Promise<ReloadPlan> {
    const turn = this.#applying.then(() => this.#applyNow(config, options.dryRun === true));
    this.#applying = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async #applyNow(config: WardenConfig, dryRun: boolean): Promise<ReloadPlan> {
    const current = new Map(
      [...this.#services].map(([name, svc]) => [
        name,
        {
          spec: svc.spec,
          instances: svc.runners.map((r) => ({
            name: r.name,
            index: r.model.index,
            active: isActive(r.model.current),
            spawnedAs: r.spawnedAs,
          })),
        },
      ]),
    );
    const plan = planReload(current, config);
    if (dryRun) return plan;
    if (this.#closing) throw new ShuttingDownError();
    this.#config = config;
    await Promise.all(plan.removed.map((name) => this.#remove(name)));
    const services = new Map<string, Service>();
    const waits: Promise<unknown>[] = [];
    for (const spec of config.services) {
      const svc = this.#services.get(spec.name) ?? this.#create(spec);
      waits.push(this.#update(svc, spec, new Set(plan.restarted)));
      services.set(spec.name, svc);
    }
    this.#services.clear();
    for (const [name, svc] of services) this.#services.set(name, svc);
    this.#takeBackLeftovers();
    await Promise.all(waits);
    this.#o.onRecordChange?.();
    return plan;
  }

  // Gives a kept service its new definition: live settings at once, restarts, count changes.
  async #update(svc: Service, spec: ServiceSpec, restart: ReadonlySet<string>): Promise<void> {
    const wanted = svc.runners.some((r) => r.model.current.state !== 'stopped');
    svc.spec = spec;
    svc.logFile.update(spec.logs);
    const kept = svc.runners.slice(0, spec.instances);
    const dropped = svc.runners.slice(spec.instances);
    const restarting = kept.filter((r) => restart.has(r.name));
    for (const r of kept) {
      r.spec = spec;
      r.renumber(spec.instances);
    }
    const added = Array.from({ length: spec.instances - kept.length }, (_, i) =>
      this.#runner(svc, spec, kept.length + i, spec.instances),
    );
    svc.runners = [...kept, ...added];
    // A new instance first takes back what an earlier daemon left running for it.
    for (const r of added) r.claim(this.#leftovers);
    for (const r of restarting) r.dispatch({ type: 'restart' });
    if (wanted && added.length > 0) this.start(added.map((r) => r.name));
    await Promise.all([this.#retire(dropped), ...restarting.map((r) => r.until(hasLeftStopping))]);
  }

  // Stops runners that are no longer wanted and frees them.
  async #retire(runners: readonly Runner[]): Promise<void> {
    if (runners.length === 0) return;
    this.#gate.release(runners);
    await dispatchInSlices(runners, { type: 'stop' });
    await Promise.all(runners.map((r) => r.until((m) => !isActive(m.current))));
    for (const r of runners) r.close();
  }

  async #remove(name: string): Promise<void> {
    const svc = this.#services.get(name);
    if (svc === undefined) return;
    await this.#retire(svc.runners);
    this.#services.delete(name);
    await svc.logFile.close();
  }

  /**
   * Restarts the instances of `service` one by one while an extra instance serves: the extra
   * one starts first and must reach `running`, then each instance restarts and must reach
   * `running` before the next; the extra one stops at the end. With a readiness check, at least
   * `instances` instances are running at every moment.
   * @returns the instances restarted, in order
   * @throws UnknownServiceError, ShuttingDownError, RollingRestartError (see restartRolling)
   */
  async rollingRestart(service: string): Promise<string[]> {
    const svc = this.#services.get(service);
    if (svc === undefined) throw new UnknownServiceError([service], [...this.#services.keys()]);
    if (this.#closing) throw new ShuttingDownError();
    return restartRolling(svc, {
      extra: () => this.#runner(svc, svc.spec, svc.runners.length, svc.runners.length + 1),
      retire: (r) => this.#retire([r]),
    });
  }

  /** What state.json keeps: every service's definition and instances. */
  records(): { spec: ServiceSpec; instances: InstanceRecord[] }[] {
    return [...this.#services.values()].map((svc) => ({
      spec: svc.spec,
      instances: (svc.surge === undefined ? svc.runners : [...svc.runners, svc.surge]).map((r) =>
        r.record(),
      ),
    }));
  }

  /**
   * Takes back the services an earlier daemon left (state.json): each is created from its
   * recorded definition and each instance restored (Runner.restore). Call before any apply.
   * @returns each instance's name and how it was taken back
   */
  restore(
    config: string | null,
    services: readonly { spec: ServiceSpec; instances: readonly InstanceRecord[] }[],
  ): { instance: string; outcome: RestoreOutcome }[] {
    if (config !== null) this.#config = { path: config, services: services.map((s) => s.spec) };
    const outcomes: { instance: string; outcome: RestoreOutcome }[] = [];
    for (const { spec, instances } of services) {
      const svc = this.#create(spec);
      this.#services.set(spec.name, svc);
      for (const rec of instances) {
        // Past the count: the extra instance of a rolling restart that the crash interrupted.
        const extra = rec.index >= spec.instances;
        const r = svc.runners[rec.index] ?? this.#runner(svc, spec, rec.index, rec.index + 1);
        outcomes.push({ instance: r.name, outcome: r.restore(rec, this.#leftovers) });
        if (extra) void this.#retire([r]);
      }
    }
    return outcomes;
  }

  /** Lets every process run on without this daemon (`down --keep-services`); see Runner.detach. */
  detachAll(): void {
    this.#closing = true;
    this.#gate.clear();
    for (const r of this.resolve([])) r.detach();
  }

  /** From now on nothing starts: `start`, `restart` and `apply`'s callers get ShuttingDownError. */
  beginShutdown(): void {
    this.#closing = true;
  }

  /**
   * The runners named by `targets`: service names, instance names (`web:1`) or `all`.
   * An empty list means all. @throws UnknownServiceError naming every unknown target
   */
  resolve(targets: readonly string[]): Runner[] {
    const all = [...this.#services.values()].flatMap((s) =>
      s.surge === undefined ? s.runners : [...s.runners, s.surge],
    );
    if (targets.length === 0 || targets.includes('all')) return all;
    const found = new Set<Runner>();
    const unknown: string[] = [];
    for (const t of targets) {
      const service = this.#services.get(t);
      const matches = service === undefined ? all.filter((r) => r.name === t) : service.runners;
      if (matches.length === 0) unknown.push(t);
      for (const r of matches) found.add(r);
    }
    if (unknown.length > 0) throw new UnknownServiceError(unknown, [...this.#services.keys()]);
    return [...found];
  }

  /**
   * Starts the targets (those not already starting, running or stopping).
   * @returns the runners this call started
   * @throws UnknownServiceError, ShuttingDownError
   */
  start(targets: readonly string[]): Runner[] {
    const runners = this.resolve(targets);
    if (this.#closing) throw new ShuttingDownError();
    // Dependencies come along; each service starts once its own are ready (the pending set).
    const names = withDependencies(
      [...new Set(runners.map((r) => r.spec.name))],
      (n) => this.#depsOf(n),
      this.#order(),
    );
    const byService = new Map<string, Runner[]>();
    for (const r of runners) {
      const own = byService.get(r.spec.name);
      if (own === undefined) byService.set(r.spec.name, [r]);
      else own.push(r);
    }
    const idle: Runner[] = [];
    for (const name of names) {
      const chosen = byService.get(name) ?? this.#services.get(name)?.runners ?? [];
      const fresh = chosen.filter((r) => !isActive(r.model.current));
      idle.push(...fresh);
      if (this.#depsOf(name).length === 0) {
        for (const r of chosen) r.dispatch({ type: 'start' });
      } else {
        this.#gate.hold(name, fresh);
      }
    }
    this.#gate.settle();
    return idle;
  }

  /** True while `runner` waits for its service's dependencies. */
  isWaiting(runner: Runner): boolean {
    return this.#gate.isWaiting(runner.spec.name, runner);
  }

  #depsOf(name: string): Dependency[] {
    return this.#services.get(name)?.spec.dependsOn ?? [];
  }

  #statesOf(name: string): StateName[] {
    return (this.#services.get(name)?.runners ?? []).map((r) => r.model.current.state);
  }

  // Services in start order (each after its dependencies).
  #order(): string[] {
    return startOrder(new Map([...this.#services].map(([n, svc]) => [n, svc.spec.dependsOn])));
  }

  /** Stops the targets; resolves when every one's process tree is gone. */
  async stop(targets: readonly string[]): Promise<Runner[]> {
    const runners = this.resolve(targets);
    this.#gate.release(runners);
    await dispatchInSlices(runners, { type: 'stop' });
    await Promise.all(runners.map((r) => r.until((m) => !isActive(m.current))));
    return runners;
  }

  /** Restarts the targets (stopping first where they run); resolves once each was spawned again. */
  async restart(targets: readonly string[]): Promise<Runner[]> {
    const runners = this.resolve(targets);
    if (this.#closing) throw new ShuttingDownError();
    await dispatchInSlices(runners, { type: 'restart' });
    await Promise.all(runners.map((r) => r.until(hasLeftStopping)));
    return runners;
  }

  /** Sends `signal` to each target's process group. @returns the instances signalled */
  signal(signal: SignalName, targets: readonly string[]): string[] {
    return this.resolve(targets)
      .filter((r) => r.signal(signal))
      .map((r) => r.name);
  }

  /**
   * Stops every service, dependents before their dependencies (batches in parallel), until no
   * instance is active (call beginShutdown first).
   */
  async stopAll(): Promise<void> {
    this.#gate.clear();
    this.#stopLeftovers();
    do {
      for (const batch of stopBatches(this.#order(), (n) => this.#depsOf(n)))
        await this.stop(batch);
    } while (this.resolve([]).some((r) => isActive(r.model.current)));
    await this.#stoppingLeftovers;
  }

  // Instances that run nothing take back the trees an earlier daemon started for them; what no
  // instance of this config claims (a removed service, a surplus instance, a duplicate) stops.
  #takeBackLeftovers(): void {
    if (this.#leftovers.size === 0) return;
    for (const r of this.resolve([])) r.claim(this.#leftovers);
    this.#stopLeftovers();
  }

  #stopLeftovers(): void {
    const trees = this.#leftovers.takeAll();
    if (trees.length === 0) return;
    const stopping = stopLeftovers(trees, {
      tree: (name) => this.#o.processes.tree(name),
      clock: this.#o.clock,
      log: this.#o.log,
      specOf: (service) => this.#services.get(service)?.spec,
    });
    this.#stoppingLeftovers = Promise.all([this.#stoppingLeftovers, stopping]).then(
      () => undefined,
    );
  }

  /** Every instance's status, in config order. */
  status(targets: readonly string[] = []): InstanceStatus[] {
    return this.resolve(targets).map((r) => r.status());
  }

  /**
   * Closes and reopens every service's log file, for an external logrotate that renamed them
   * (`warden logs --reopen`, SIGUSR2). @returns the paths reopened
   */
  async reopenLogs(): Promise<string[]> {
    const logs = [...this.#services.values()].map((s) => s.logFile);
    await Promise.all(logs.map((l) => l.reopen()));
    return logs.map((l) => l.file.path);
  }

  /** Closes the log files (after stopAll). */
  async close(): Promise<void> {
    for (const r of this.resolve([])) r.close();
    await Promise.all([...this.#services.values()].map((s) => s.logFile.close()));
  }

  #create(spec: ServiceSpec): Service {
    const logFile = new ServiceLog(join(this.#o.logDir, `${spec.name}.log`), spec.logs, {
      now: () => this.#o.clock.now(),
      onError: (message) => this.#o.log(`${spec.name}: ${message}`),
      ...(this.#o.echo === undefined ? {} : { echo: this.#o.echo }),
    });
    const svc: Service = { spec, runners: [], logFile };
    svc.runners = Array.from({ length: spec.instances }, (_, index) =>
      this.#runner(svc, spec, index, spec.instances),
    );
    return svc;
  }

  #runner(svc: Service, spec: ServiceSpec, index: number, count: number): Runner {
    return new Runner({
      spec,
      index,
      count,
      sink: svc.logFile,
      clock: this.#o.clock,
      processes: this.#o.processes,
      baseEnv: this.#o.baseEnv,
      onTransition: (runner, from, reason) => {
        const to = runner.model.current.state;
        const change = from.state === to ? to : `${from.state} -> ${to}`;
        this.#o.log(`${runner.name}: ${change}${reason === '' ? '' : ` (${reason})`}`);
        // The change is told first, then what it lets start (events keep causal order).
        this.#o.onChange?.(runner, from, reason);
        if (from.state !== runner.model.current.state) this.#gate.settle();
      },
      onError: (runner, message) => this.#o.log(`${runner.name}: ${message}`),
      onRecordChange: () => this.#o.onRecordChange?.(),
      pace: this.#pace,
      ...(this.#o.probes === undefined ? {} : { probes: this.#o.probes }),
    });
  }
}

/** Runners stopped or restarted per event-loop turn (each signals its tree: ~1-3 ms). */
const SLICE = 64;

// Dispatches `event` to every runner, yielding to the event loop between slices: stopping 3,600
// instances at once held the loop for 12 s, and no client got an answer meanwhile.
async function dispatchInSlices(
  runners: readonly Runner[],
  event: { type: 'stop' } | { type: 'restart' },
): Promise<void> {
  for (let i = 0; i < runners.length; i += SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const r of runners.slice(i, i + SLICE)) r.dispatch(event);
  }
}

function hasLeftStopping(m: InstanceModel): boolean {
  return m.current.state !== 'stopping';
}
