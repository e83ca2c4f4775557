// All services of one daemon: applies a config, resolves names, and turns start/stop/restart/
// signal requests into runner events. Each job has its file in this folder: the registry of
// services (registry.ts), applying a config (apply.ts), events in slices (slices.ts), the
// watches and schedules that start services on their own (triggers.ts).
import type { ServiceSpec, WardenConfig } from '../../config/types.js';
import { isActive, type InstanceState } from '../../core/instance.js';
import type { RestoreOutcome } from '../../core/restore.js';
import type { SignalName } from '../../core/signals.js';
import type { InstanceStatus } from '../../core/status.js';
import { StartGate, stopBatches } from '../dependencies.js';
import type { InstanceRecord } from '../instance-record.js';
import { Leftovers } from '../leftovers.js';
import { planReload, type ReloadPlan } from '../reload-plan.js';
import { restartRolling } from '../rolling-restart.js';
import type { Runner } from '../runner/runner.js';
import { SpawnPacer } from '../spawn-pacer.js';
import { applyPlan, running } from './apply.js';
import { ShuttingDownError, UnknownServiceError } from './errors.js';
import { LeftoverTrees } from './leftovers.js';
import { Registry, type SupervisionContext } from './registry.js';
import { restoreServices, type RecordedService } from './restore.js';
import { dispatchInSlices, hasLeftStopping, stopAndWait } from './slices.js';
import { capShutdown } from './shutdown-timeout.js';
import { startWithDependencies } from './start.js';
import { instancePids, ServiceSockets } from './sockets.js';
import type { ListenStatus } from '../../core/status.js';
import { Triggers } from './triggers.js';

/** What a supervisor is built from. */
export interface SupervisorOptions extends SupervisionContext {
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

/** All services of one daemon. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #registry: Registry;
  readonly #leftovers: LeftoverTrees;
  #config: WardenConfig | null = null;
  #closing = false;
  #applying: Promise<void> = Promise.resolve();
  /** Services (and which of their runners) waiting for dependencies before they start. */
  readonly #gate: StartGate<Runner>;
  /** The `listen` sockets of the services. */
  readonly #sockets = new ServiceSockets((service) => instancePids(this.#registry, service));
  /** The services' `watch`es and the tasks' `schedule`s. */
  readonly #triggers: Triggers;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#leftovers = new LeftoverTrees(options.leftovers ?? new Leftovers([]), {
      tree: (name) => options.processes.tree(name),
      clock: options.clock,
      log: options.log,
      specOf: (service) => this.#registry.get(service)?.spec,
    });
    this.#registry = new Registry({
      clock: options.clock,
      processes: options.processes,
      logDir: options.logDir,
      baseEnv: options.baseEnv,
      log: options.log,
      echo: options.echo,
      probes: options.probes,
      // Every instance's spawns, a few an event-loop turn (a bring-up of thousands holds no turn).
      pace: new SpawnPacer(),
      socketsOf: (service) => this.#sockets.of(service),
      watchOf: (service) => this.#triggers.watchOf(service),
      scheduleOf: (service) => this.#triggers.scheduleOf(service),
      onTransition: (runner, from, reason) => {
        // The change is told first, then what it lets start (events keep causal order).
        this.#o.onChange?.(runner, from, reason);
        this.#triggers.observe(runner, isActive(from));
        if (from.state !== runner.model.current.state) this.#gate.settle();
      },
      onRecordChange: () => this.#o.onRecordChange?.(),
    });
    this.#triggers = new Triggers({
      clock: options.clock,
      runners: (service) => this.#registry.get(service)?.runners ?? [],
      start: (service, reason) => {
        if (!this.#closing) this.start([service], reason);
      },
      restart: (names, reason) => this.restart(names, reason),
      rollingRestart: (service, reason) => this.rollingRestart(service, reason),
      log: options.log,
    });
    this.#gate = new StartGate<Runner>(
      (n) => this.#registry.depsOf(n),
      (n) => this.#registry.viewsOf(n),
    );
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
    const plan = planReload(running(this.#registry), config);
    if (dryRun) return plan;
    if (this.#closing) throw new ShuttingDownError();
    // Every socket is bound before anything changes: a failed bind refuses the whole config.
    const closeUnused = await this.#sockets.rebind(config);
    this.#config = config;
    try {
      await this.#applyPlan(config, plan);
    } finally {
      closeUnused?.();
    }
    await this.#triggers.sync(config.services);
    this.#o.onRecordChange?.();
    return plan;
  }

  async #applyPlan(config: WardenConfig, plan: ReloadPlan): Promise<void> {
    await applyPlan(
      {
        registry: this.#registry,
        leftovers: this.#leftovers.found,
        retire: (runners) => this.#retire(runners),
        start: (names) => void this.start(names),
        takeBackLeftovers: () => this.#leftovers.takeBack(() => this.resolve([])),
      },
      config,
      plan,
    );
  }

  // Stops runners that are no longer wanted and frees them.
  async #retire(runners: readonly Runner[]): Promise<void> {
    if (runners.length === 0) return;
    this.#gate.release(runners);
    await stopAndWait(runners);
    for (const r of runners) r.close();
  }

  /**
   * Restarts the instances of `service` one by one while an extra instance serves: the extra
   * one starts first and must reach `running`, then each instance restarts and must reach
   * `running` before the next; the extra one stops at the end. With a readiness check, at least
   * `instances` instances are running at every moment.
   * @returns the instances restarted, in order
   * @throws UnknownServiceError, ShuttingDownError, RollingRestartError (see restartRolling)
   */
  async rollingRestart(service: string, reason?: string): Promise<string[]> {
    const svc = this.#registry.get(service);
    if (svc === undefined) throw new UnknownServiceError([service], this.#registry.names());
    if (this.#closing) throw new ShuttingDownError();
    return restartRolling(svc, {
      ...(reason === undefined ? {} : { reason }),
      extra: () => svc.extra,
      addExtra: () => this.#registry.addExtra(svc),
      dropExtra: async (r) => {
        await this.#retire([r]);
        this.#registry.dropExtra(svc, r);
      },
    });
  }

  /** What state.json keeps: every service's definition and instances. */
  records(): { spec: ServiceSpec; instances: InstanceRecord[] }[] {
    return this.#registry.services().map((svc) => ({
      spec: svc.spec,
      instances: (svc.extra === undefined ? svc.runners : [...svc.runners, svc.extra]).map((r) =>
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
    services: readonly RecordedService[],
  ): { instance: string; outcome: RestoreOutcome }[] {
    if (config !== null) this.#config = { path: config, services: services.map((s) => s.spec) };
    const restored = restoreServices(this.#registry, services, this.#leftovers.found, (r) => {
      void this.#retire([r]);
    });
    // Taken back before any apply, so a restart before the next `up` passes them too.
    const specs = services.map((s) => s.spec);
    this.#applying = this.#sockets.takeBack(this.#applying, specs, this.#o.log);
    return restored;
  }

  /** Lets every process run on without this daemon (`down --keep-services`); see Runner.detach. */
  detachAll(): void {
    this.#closing = true;
    void this.#triggers.close();
    this.#sockets.keepFiles();
    this.#gate.clear();
    for (const r of this.resolve([])) r.detach();
  }

  /** From now on nothing starts: `start`, `restart` and `apply`'s callers get ShuttingDownError. */
  beginShutdown(): void {
    this.#closing = true;
    void this.#triggers.close();
  }

  /**
   * The runners named by `targets`: service names, instance names (`web:1`) or `all`.
   * An empty list means all. @throws UnknownServiceError naming every unknown target
   */
  resolve(targets: readonly string[]): Runner[] {
    return this.#registry.resolve(targets);
  }

  /**
   * Starts the targets (those not already starting, running or stopping); `reason` says why
   * (default `started by user`). @returns the runners this call started
   * @throws UnknownServiceError, ShuttingDownError
   */
  start(targets: readonly string[], reason?: string): Runner[] {
    const runners = this.resolve(targets);
    if (this.#closing) throw new ShuttingDownError();
    // Named (not `all`): a task that is done runs again (docs/config/kind.md).
    const isNamed = targets.length > 0 && !targets.includes('all');
    return startWithDependencies(
      this.#registry,
      this.#gate,
      runners,
      new Set(isNamed ? runners : []),
      reason,
    );
  }

  /** True while `runner` waits for its service's dependencies. */
  isWaiting(runner: Runner): boolean {
    return this.#gate.isWaiting(runner.spec.name, runner);
  }

  /** Stops the targets; resolves when every one's process tree is gone. */
  async stop(targets: readonly string[]): Promise<Runner[]> {
    const runners = this.resolve(targets);
    this.#gate.release(runners);
    await stopAndWait(runners);
    return runners;
  }

  /**
   * Restarts the targets (stopping first where they run); resolves once each was spawned again.
   * `reason` says who asked when it is not the user (`files changed`: the log and the events).
   */
  async restart(targets: readonly string[], reason?: string): Promise<Runner[]> {
    const runners = this.resolve(targets);
    if (this.#closing) throw new ShuttingDownError();
    await dispatchInSlices(
      runners,
      reason === undefined ? { type: 'restart' } : { type: 'restart', reason },
    );
    await Promise.all(runners.map((r) => r.until(hasLeftStopping)));
    return runners;
  }

  /** Sends `signal` to each target's process tree. @returns the instances signalled */
  signal(signal: SignalName, targets: readonly string[]): string[] {
    return this.resolve(targets)
      .filter((r) => r.signal(signal))
      .map((r) => r.name);
  }

  /**
   * Stops every service, dependents before their dependencies (batches in parallel), until no
   * instance is active (call beginShutdown first); past the config's `shutdown_timeout`, what
   * is left gets SIGKILL at once.
   */
  async stopAll(): Promise<void> {
    this.#gate.clear();
    this.#leftovers.stopRest();
    const registry = this.#registry;
    const { clock, log } = this.#o;
    const timeoutMs = this.#config?.shutdownTimeoutMs ?? null;
    const disarm = capShutdown(timeoutMs, () => this.resolve([]), clock, log);
    try {
      do {
        for (const batch of stopBatches(registry.order(), (n) => registry.depsOf(n)))
          await this.stop(batch);
      } while (this.resolve([]).some((r) => isActive(r.model.current)));
    } finally {
      disarm();
    }
    await this.#leftovers.stopped();
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
    const logs = this.#registry.services().map((s) => s.logFile);
    await Promise.all(logs.map((l) => l.reopen()));
    return logs.map((l) => l.file.path);
  }

  /** Each service's log: lines captured by stream, and lost (`GET /metrics`); config order. */
  logCounts(): { service: string; lines: { out: number; err: number }; droppedLines: number }[] {
    return this.#registry.services().map((s) => ({
      service: s.spec.name,
      lines: { ...s.logFile.lines },
      droppedLines: s.logFile.health().droppedLines,
    }));
  }

  /** The listening sockets of the services of `targets` (all for none), in config order. */
  sockets(targets: readonly string[] = []): ListenStatus[] {
    const all = this.#sockets.status();
    if (targets.length === 0) return all;
    const services = new Set(this.resolve(targets).map((r) => r.spec.name));
    return all.filter((s) => services.has(s.service));
  }

  /** Closes the log files and the listening sockets (after stopAll). */
  async close(): Promise<void> {
    await this.#triggers.close();
    this.#sockets.closeAll();
    for (const r of this.resolve([])) r.close();
    await Promise.all(this.#registry.services().map((s) => s.logFile.close()));
  }
}
