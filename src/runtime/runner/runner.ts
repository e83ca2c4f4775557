// One instance's runner: feeds events to the pure state machine and carries out its effects
// (spawn, signals, timers, tree watch, log capture). All OS work goes through injected layers;
// each concern of it has its file in this folder.
import type { Readable } from 'node:stream';
import type { ServiceSpec } from '../../config/types.js';
import {
  instanceName,
  isActive,
  newInstance,
  pidOf,
  type Effect,
  type InstanceEvent,
  type InstanceModel,
  type TimerName,
} from '../../core/instance.js';
import { restoreOutcome, type RestoreOutcome } from '../../core/restore.js';
import type { SignalName } from '../../core/signals.js';
import type { InstanceStatus } from '../../core/status.js';
import { transition } from '../../core/transition.js';
import type { ProcInfo } from '../../effects/containment/proc.js';
import type { Stream } from '../../logs/format.js';
import type { InstanceRecord } from '../instance-record.js';
import type { Leftovers } from '../leftovers.js';
import { UNPACED } from '../spawn-pacer.js';
import { holdAgain, lookFor, lookForTree, type Sighting } from './adopt.js';
import { OutputCapture } from './capture.js';
import { EventQueue } from './event-queue.js';
import { ProcessHold } from './hold.js';
import type { RunnerOptions } from './options.js';
import { ProbeSlot, treePids } from './probe.js';
import { spawnInstance } from './spawn.js';
import { instanceRecord, instanceStatus } from './status.js';
import { InstanceTimers } from './timers.js';
import { MemoryPoll } from './memory-poll.js';
import { HealthSlot } from './health.js';
import { Waiters } from './waiters.js';

/** Drives one instance. */
export class Runner {
  #spec: ServiceSpec;
  #model: InstanceModel;
  readonly #o: RunnerOptions;
  readonly #timers: InstanceTimers;
  readonly #output: OutputCapture;
  readonly #probes: ProbeSlot;
  readonly #waiters = new Waiters<InstanceModel>();
  readonly #events = new EventQueue<InstanceEvent>((event) => this.#apply(event));
  readonly #hold: ProcessHold;
  readonly #memoryPoll: MemoryPoll;
  readonly #health: HealthSlot;
  /** Detached or closed: a spawn still waiting in the pacer does not happen. */
  #isLetGo = false;
  /** The last hold for dependencies: its reason, and the stderr of the task that caused it. */
  #held = { reason: '', stderr: [] as readonly string[] };

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#spec = options.spec;
    const count = options.count ?? options.spec.instances;
    const tree = options.processes.tree(instanceName(options.spec.name, options.index, count));
    this.#hold = new ProcessHold(tree, options.clock, (message) => options.onError(this, message));
    this.#model = newInstance(options.spec.name, options.index, count, options.clock.now());
    this.#timers = new InstanceTimers(options.clock, (timer, dueAt) => this.#fire(timer, dueAt));
    this.#memoryPoll = new MemoryPoll(options.clock, tree, this, () => this.#isLetGo);
    this.#health = new HealthSlot({
      clock: options.clock,
      dispatch: (event) => this.dispatch(event),
      baseEnv: options.baseEnv,
      log: (message) => options.onError(this, message),
    });
    this.#output = new OutputCapture(options.sink, (message) => options.onError(this, message));
    this.#probes = new ProbeSlot(options.probes, {
      name: () => this.name,
      dispatch: (event) => this.dispatch(event),
      log: (message) => options.onError(this, message),
      isMember: (pid) => this.#hold.contains(pid),
      members: () => treePids(this.#hold),
    });
  }

  get name(): string {
    return this.#model.name;
  }

  /** The service definition the instance follows. */
  get spec(): ServiceSpec {
    return this.#spec;
  }

  /**
   * Follows a new definition of its service (a reload): it applies to the next transition and
   * the next spawn; a live process started from another definition is not restarted here.
   */
  useSpec(spec: ServiceSpec): void {
    this.#spec = spec;
    this.#health.follow(undefined, this.#model.current, this.#model, spec);
  }

  /** The service's instance count changed: `web` becomes `web:0`, or back. */
  renumber(count: number): void {
    this.#model = { ...this.#model, name: instanceName(this.#spec.name, this.#model.index, count) };
  }

  /** spawnIdentity of the definition the live process was started from; null without one. */
  get spawnedAs(): string | null {
    return isActive(this.#model.current) ? (this.#hold.process?.spawnedAs ?? null) : null;
  }

  /** What state.json keeps of the instance. */
  record(): InstanceRecord {
    return instanceRecord(this.#model, this.#hold);
  }

  get model(): InstanceModel {
    return this.#model;
  }

  /** The instance's status, as in `status --json`. */
  status(): InstanceStatus {
    const s = this.#model.current;
    const isHeld = s.state === 'stopped' && s.reason === this.#held.reason;
    return instanceStatus(this.#model, this.#spec, this.#hold, {
      stderr: this.#output.stderrLines(),
      stderrSummary: isHeld ? this.#held.stderr : this.#output.tellingStderr(),
      statusText: this.#probes.statusText,
      waiting: this.#probes.waiting,
      logs: this.#o.sink.health(),
      health: this.#health.status(this.#model, this.#spec),
      watch: this.#o.watch?.() ?? null,
      schedule: this.#o.schedule?.() ?? null,
    });
  }

  /** The kept stderr lines since a user's start, oldest first (status hides them while live). */
  stderrLines(): readonly string[] {
    return this.#output.stderrLines();
  }

  /** Pids that outlived SIGKILL at the last stop, which warden stopped waiting for; else []. */
  get survivors(): number[] {
    return this.#hold.survivors;
  }

  /** The live processes of the instance's tree (for `warden ps`). */
  members(): ProcInfo[] {
    return this.#hold.members();
  }

  /** Feeds an event; events raised while one is handled are queued and handled in order. */
  dispatch(event: InstanceEvent): void {
    this.#events.push(event);
  }

  /** Held `stopped` for its dependencies; `stderr`: the telling lines of the task that holds it. */
  hold(reason: string, stderr: readonly string[]): void {
    this.#held = { reason, stderr };
    this.dispatch({ type: 'hold', reason });
  }

  /** Sends `signal` to the instance's whole process tree. @returns false when nothing runs */
  signal(signal: SignalName): boolean {
    // Only a live tree: the group id of a dead one may already name an unrelated group.
    if (!this.#hold.isAttached || !isActive(this.#model.current)) return false;
    return this.#hold.tree.signal(signal);
  }

  /**
   * Resolves once `test` holds for the model (checked now and after every transition), or once
   * `signal` aborts (then the waiter is dropped, so abandoned waits hold no memory).
   */
  until(test: (m: InstanceModel) => boolean, signal?: AbortSignal): Promise<void> {
    return this.#waiters.until(this.#model, test, signal);
  }

  /**
   * Takes the instance back as an earlier daemon left it: its counters and state from
   * state.json (`rec`), and its process tree when the system shows one of this home's runs for
   * it (`found`, see adopt.ts). How it then stands is the core's (`restored`, core/restore.ts).
   */
  restore(rec: InstanceRecord, found: Leftovers): RestoreOutcome {
    return this.#takeBack(rec, lookFor(rec, found, this.#spec.name, this.#model.index));
  }

  /**
   * Takes back a tree an earlier daemon started for this instance, if `found` holds one and the
   * instance runs nothing now (a config applied after a daemon died without a usable state.json).
   * @returns true when one was taken: the instance is running it
   */
  claim(found: Leftovers): boolean {
    if (isActive(this.#model.current)) return false;
    const sighting = lookForTree(found, this.#spec.name, this.#model.index);
    return sighting.kind !== 'none' && this.#takeBack(null, sighting) === 'adopted';
  }

  // Holds what was seen again and lets the core decide how the instance stands (`restored`).
  #takeBack(record: InstanceRecord | null, sighting: Sighting): RestoreOutcome {
    const found = holdAgain(sighting, {
      processes: this.#o.processes,
      hold: this.#hold,
      onExit: (pid, why) => this.#lost(pid, why),
      followProbe: () => void this.#probes.follow(this.#spec),
      read: (pipe, stream) => this.#read(pipe, stream),
      onError: (message) => this.#o.onError(this, message),
    });
    const probe = this.#probes.current;
    this.dispatch({ type: 'restored', record, found });
    if (found.kind === 'alive' && found.state.state === 'starting') probe.started(undefined);
    return restoreOutcome(record, found);
  }

  // The adopted main process `pid` ended; how is unknown (not our child).
  #lost(pid: number, why: string): void {
    this.#hold.watching(undefined);
    if (this.#hold.process?.pid !== pid || pidOf(this.#model.current) !== pid) return;
    this.dispatch({ type: 'exited', status: { unknown: why } });
  }

  /** Lets the instance's processes run on without this daemon (`down --keep-services`). */
  detach(): void {
    this.#isLetGo = true;
    this.#timers.clear();
    this.#probes.current.close();
    this.#health.close();
    // What is still in the pipes stays there for the next daemon; nothing read is lost.
    this.#output.destroy();
    this.#hold.letGo();
  }

  /** Frees the readiness probe (the daemon is closing). */
  close(): void {
    this.#isLetGo = true;
    this.#probes.current.close();
    this.#health.close();
  }

  #apply(event: InstanceEvent): void {
    const from = this.#model.current;
    // A user's start begins a new story: the stderr of earlier runs would mislead.
    if (event.type === 'restart' || (event.type === 'start' && !isActive(from)))
      this.#output.clearStderr();
    const t = transition(this.#model, event, this.#o.clock.now(), this.#spec);
    const to = t.model.current.state;
    if (to !== 'starting' && to !== 'running') this.#probes.current.stop();
    if (t.gaveUpOnTree === true) {
      // Named before the effects run: a restart's spawn may attach a new tree.
      const pids = this.#hold.giveUp();
      const what = `pids ${pids.join(', ')} survived SIGKILL (uninterruptible sleep?)`;
      if (pids.length > 0) this.#o.onError(this, `${what}; no longer waiting for them`);
    } else if (event.type === 'start' || event.type === 'restart' || event.type === 'stop') {
      this.#hold.forgetSurvivors();
    }
    // state.json follows pid and state; counters that change alone (the backoff's reset after
    // reset_after, which 1000 instances started together reach together) ride with the next write.
    const changed = t.model.current !== from;
    this.#model = t.model;
    for (const effect of t.effects) this.#run(effect);
    this.#memoryPoll.follow();
    this.#health.follow(event, from, this.#model, this.#spec);
    if (changed) this.#o.onRecordChange?.(this);
    if (t.reason !== undefined || from.state !== t.model.current.state) {
      this.#o.onTransition(this, from, t.reason ?? '');
    }
    this.#waiters.settle(this.#model);
  }

  #run(effect: Effect): void {
    switch (effect.kind) {
      case 'spawn':
        return (this.#o.pace ?? UNPACED).run(() => this.#spawnIfWanted());
      case 'signal-tree':
        this.#hold.signalTree(effect.signal);
        // A stopped (SIGSTOP) process acts on nothing but SIGKILL until continued (as systemd does).
        if (effect.signal !== 'SIGKILL') this.#hold.signalTree('SIGCONT');
        return;
      case 'await-tree':
        return this.#hold.awaitEmpty(
          () => this.#model.current.state === 'stopping',
          () => this.dispatch({ type: 'tree-gone' }),
        );
      case 'set-timer':
        return this.#timers.set(effect.timer, effect.delayMs);
      case 'clear-timers':
        return this.#timers.clear();
    }
  }

  // A timer is due. A watchdog deadline is judged only after the pings already sent were handled
  // (they wait in the notify socket while the event loop is busy or stopped), and with how late
  // it fired, so that the core can tell a stalled daemon from a silent service.
  #fire(timer: TimerName, dueAt: number): void {
    if (timer === 'watchdog') {
      this.#probes.current.drain?.();
      if (this.#timers.has(timer)) return; // a ping handled just now armed it again
    }
    const lateMs = Math.max(0, this.#o.clock.now() - dueAt);
    this.dispatch({ type: 'timer', timer, ...(lateMs > 0 ? { lateMs } : {}) });
  }

  // A spawn the pacer let wait runs only if it is still wanted: not after a stop (the model left
  // `starting`), a later spawn (it has a pid), detach or close.
  #spawnIfWanted(): void {
    const s = this.#model.current;
    if (this.#isLetGo || s.state !== 'starting' || s.pid !== null) return;
    this.#hold.forgetProcess();
    const probe = this.#probes.forSpawn(this.#spec);
    this.#output.beginRun();
    spawnInstance({
      spec: this.#spec,
      index: this.#model.index,
      baseEnv: this.#o.baseEnv,
      processes: this.#o.processes,
      hold: this.#hold,
      probe,
      sockets: this.#o.sockets?.() ?? [],
      now: () => this.#o.clock.now(),
      read: (pipe, stream) => this.#read(pipe, stream),
      dispatch: (event) => this.dispatch(event),
    });
  }

  // Reads an output pipe into the log; a `ready.log` check gets every line.
  #read(pipe: Readable | null | undefined, stream: Stream): void {
    const probe = this.#spec.ready?.check.kind === 'log' ? this.#probes.current : undefined;
    this.#output.read(pipe, this.#model.name, stream, probe);
  }
}
