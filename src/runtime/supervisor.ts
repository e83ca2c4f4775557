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
import { Runner, type LineSink, type ProbeFactory, type ProcessLayer } from './runner.js';

/** What a supervisor is built from. */
export interface SupervisorOptions {
  clock: Clock;
  processes: ProcessLayer;
  /** Directory of the per-service log files (`<service>.log`). */
  logDir: string;
  baseEnv: NodeJS.ProcessEnv;
  /** RLIMIT_CORE of the daemon in bytes (Infinity when unlimited). */
  coreLimit: number;
  /** The daemon's own log: one line per state change or runtime error. */
  log: (line: string) => void;
  /** Also receives every output line (the foreground `warden run` prints them). */
  echo?: LineSink;
  /** Makes each instance's readiness probe; default: none (min_uptime only). */
  probes?: ProbeFactory;
  /** Called after every state change of any instance. */
  onChange?: (runner: Runner, from: InstanceState, reason: string) => void;
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

/** The outcome of applying a config. */
export interface ApplyResult {
  added: string[];
  unchanged: string[];
  /** Services whose definition changed: running instances keep their process; the new definition applies at each instance's next start. */
  changed: string[];
  /** Changed in their instance count: needs `warden down` and `up` in this version. */
  rescaled: string[];
  /** In the daemon but no longer in the config: left as they are in this version. */
  removed: string[];
}

interface Service {
  spec: ServiceSpec;
  runners: Runner[];
  logFile: ServiceLog;
}

/** All services of one daemon. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #services = new Map<string, Service>();
  #config: WardenConfig | null = null;
  #closing = false;
  /** Services (and which of their runners) waiting for dependencies before they start. */
  readonly #gate = new StartGate<Runner>(
    (n) => this.#depsOf(n),
    (n) => this.#statesOf(n),
  );

  constructor(options: SupervisorOptions) {
    this.#o = options;
  }

  /** The config last applied, or null. */
  get config(): WardenConfig | null {
    return this.#config;
  }

  /**
   * Applies a config: new services are added (stopped); a changed definition is used from each
   * instance's next start on (running processes are left alone); instance-count changes and
   * removed services are only reported.
   */
  apply(config: WardenConfig): ApplyResult {
    const result: ApplyResult = {
      added: [],
      unchanged: [],
      changed: [],
      rescaled: [],
      removed: [],
    };
    for (const spec of config.services) {
      const existing = this.#services.get(spec.name);
      if (existing === undefined) {
        this.#services.set(spec.name, this.#create(spec));
        result.added.push(spec.name);
      } else if (JSON.stringify(existing.spec) === JSON.stringify(spec)) {
        result.unchanged.push(spec.name);
      } else if (existing.spec.instances !== spec.instances) {
        result.rescaled.push(spec.name);
      } else {
        existing.spec = spec;
        for (const r of existing.runners) r.spec = spec;
        result.changed.push(spec.name);
      }
    }
    const names = new Set(config.services.map((s) => s.name));
    result.removed = [...this.#services.keys()].filter((n) => !names.has(n));
    this.#config = config;
    return result;
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
    const all = [...this.#services.values()].flatMap((s) => s.runners);
    if (targets.length === 0 || targets.includes('all')) return all;
    const found = new Set<Runner>();
    const unknown: string[] = [];
    for (const t of targets) {
      const service = this.#services.get(t);
      const matches = service?.runners ?? all.filter((r) => r.name === t);
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
    const idle: Runner[] = [];
    for (const name of names) {
      const own = runners.filter((r) => r.spec.name === name);
      const chosen = own.length > 0 ? own : (this.#services.get(name)?.runners ?? []);
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
    for (const r of runners) r.dispatch({ type: 'stop' });
    await Promise.all(runners.map((r) => r.until((m) => !isActive(m.current))));
    return runners;
  }

  /** Restarts the targets (stopping first where they run); resolves once each was spawned again. */
  async restart(targets: readonly string[]): Promise<Runner[]> {
    const runners = this.resolve(targets);
    if (this.#closing) throw new ShuttingDownError();
    for (const r of runners) r.dispatch({ type: 'restart' });
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
    do {
      for (const batch of stopBatches(this.#order(), (n) => this.#depsOf(n)))
        await this.stop(batch);
    } while (this.resolve([]).some((r) => isActive(r.model.current)));
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
    const sink = logFile;
    const runners = Array.from({ length: spec.instances }, (_, index) => {
      return new Runner({
        spec,
        index,
        sink,
        clock: this.#o.clock,
        processes: this.#o.processes,
        baseEnv: this.#o.baseEnv,
        coreLimit: this.#o.coreLimit,
        onTransition: (runner, from, reason) => {
          const to = runner.model.current.state;
          const change = from.state === to ? to : `${from.state} -> ${to}`;
          this.#o.log(`${runner.name}: ${change}${reason === '' ? '' : ` (${reason})`}`);
          // The change is told first, then what it lets start (events keep causal order).
          this.#o.onChange?.(runner, from, reason);
          if (from.state !== runner.model.current.state) this.#gate.settle();
        },
        onError: (runner, message) => this.#o.log(`${runner.name}: ${message}`),
        ...(this.#o.probes === undefined ? {} : { probes: this.#o.probes }),
      });
    });
    return { spec, runners, logFile };
  }
}

function hasLeftStopping(m: InstanceModel): boolean {
  return m.current.state !== 'stopping';
}
