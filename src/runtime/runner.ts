// One instance's runner: feeds events to the pure state machine and carries out its effects
// (spawn, signals, timers, tree watch, log capture). All OS work goes through injected layers.
import type { Readable } from 'node:stream';
import { spawnIdentity } from '../config/spawn-identity.js';
import type { Command, ServiceSpec } from '../config/types.js';
import { isSpawnFailure, type SpawnFailure } from '../core/exit.js';
import {
  instanceName,
  isActive,
  newInstance,
  pidOf,
  type Effect,
  type InstanceEvent,
  type InstanceModel,
  type InstanceState,
  type TimerName,
} from '../core/instance.js';
import type { SignalName } from '../core/signals.js';
import { encodeInstance, type InstanceStatus } from '../core/status.js';
import { transition } from '../core/transition.js';
import type { InstanceTree } from '../effects/containment/containment.js';
import type { ProcInfo } from '../effects/containment/proc.js';
import type { OutputPipes } from '../effects/spawn/output-pipes.js';
import { instanceEnv, type ServiceProcess, type SpawnRequest } from '../effects/spawn/spawn.js';
import type { Stream } from '../logs/format.js';
import { readOutput } from '../effects/spawn/output-reader.js';
import type { OutputSink } from '../logs/service-log.js';
import { TailBuffer } from '../logs/tail-buffer.js';
import type { Clock } from './clock.js';
import type { InstanceRecord, ProcessRecord } from './instance-record.js';
import { recordOf, type Leftovers } from './leftovers.js';
import type { LeftoverTree } from '../effects/containment/leftovers.js';
import type { ReadinessHooks, ReadinessProbe } from './readiness/types.js';
import { UNPACED, type SpawnPace } from './spawn-pacer.js';

/**
 * The OS operations a runner needs; real ones in the daemon (see src/effects), fakes in tests.
 * The optional ones serve state.json and adoption; without them nothing can be taken back.
 */
export interface ProcessLayer {
  /** Spawns in a new session; a failure to spawn comes back as data. */
  spawn(req: SpawnRequest): ServiceProcess | SpawnFailure;
  /** The process tree (containment) of instance `name`, kept across its restarts. */
  tree(name: string): InstanceTree;
  /** The start time (/proc/PID/stat field 22) of live process `pid`; undefined when gone. */
  startTimeOf?(pid: number): number | undefined;
  /** The identity of a spawned child's output pipes. */
  pipesOf?(child: ServiceProcess): OutputPipes | undefined;
  /** Reads an adopted process's output pipes again (undefined: not found). */
  reopenOutput?(
    pid: number,
    pipes: OutputPipes,
  ): { stdout: Readable | undefined; stderr: Readable | undefined };
  /**
   * Calls `onExit` once when process (pid, startTime), not the daemon's child, exits.
   * @returns undefined when that process does not run now
   */
  watchExit?(pid: number, startTime: number, onExit: () => void): { cancel(): void } | undefined;
}

/** How a restored instance was taken back. */
export type RestoreOutcome =
  /** Its main process runs and is watched again. */
  | 'adopted'
  /** Its main process was gone: it ended (status unknown) and its policy applies. */
  | 'lost'
  /** It had no process; its state was restored as it was. */
  | 'restored'
  /** Its process could not be identified or held: left alone, the instance is stopped. */
  | 'left-alone';

/** Where an instance's output lines go. `time` is ms since the epoch. */
export type LineSink = (time: number, instance: string, stream: Stream, line: string) => void;

/** What a runner is built from. */
export interface RunnerOptions {
  spec: ServiceSpec;
  index: number;
  /** The instance count its name is made for (`web` for 1, `web:0`...); default spec.instances. */
  count?: number;
  clock: Clock;
  processes: ProcessLayer;
  /** Captures the instance's stdout and stderr (in order per stream) into the service's log. */
  sink: OutputSink;
  /** The environment services inherit (the daemon's). */
  baseEnv: NodeJS.ProcessEnv;
  /** Called after each transition that changed the state or gave a reason. */
  onTransition: (runner: Runner, from: InstanceState, reason: string) => void;
  /** Errors of the runner's own OS work (a failed kill(2)), for the daemon log. */
  onError: (runner: Runner, message: string) => void;
  /** Called after any change of what `record()` returns (for state.json). */
  onRecordChange?: (runner: Runner) => void;
  /** Makes the readiness probe of the instance (config `ready`, `watchdog`); default: none. */
  probes?: ProbeFactory;
  /** Paces spawns across event-loop turns (the supervisor's SpawnPacer); default: at once. */
  pace?: SpawnPace;
}

/** Builds the readiness probe of instance `name` of `spec`; `isMember` is its tree's membership. */
export type ProbeFactory = (
  spec: ServiceSpec,
  name: string,
  hooks: ReadinessHooks,
  isMember: (pid: number) => boolean,
) => ReadinessProbe;

const NO_PROBE: ReadinessProbe = {
  extras: () => ({ env: {}, pipes: [] }),
  started: () => undefined,
  line: () => undefined,
  stop: () => undefined,
  close: () => undefined,
};

/** The exit status of an adopted process, which is not the daemon's child. */
const ADOPTED = 'adopted: not a child of this daemon';

/** How often the tree is checked for emptiness once the main process is gone (ms). */
const TREE_POLL_MS = 25;
/** stderr lines kept for `status`. */
const STDERR_LINES = 10;

/** Drives one instance. */
export class Runner {
  spec: ServiceSpec;
  #model: InstanceModel;
  readonly #o: RunnerOptions;
  readonly #timers = new Map<TimerName, unknown>();
  readonly #stderr = new TailBuffer(STDERR_LINES);
  readonly #queue: InstanceEvent[] = [];
  #busy = false;
  #child: ServiceProcess | undefined;
  readonly #tree: InstanceTree;
  #attached = false;
  /** Detached or closed: a spawn still waiting in the pacer does not happen. */
  #isLetGo = false;
  #survivors: number[] = [];
  #startedAt: number | null = null;
  #treePoll: unknown;
  #probe: ReadinessProbe = NO_PROBE;
  /** The current main process as state.json records it; undefined when there is none. */
  #process: ProcessRecord | undefined;
  #exitWatch: { cancel(): void } | undefined;
  /** The output pipes being read (destroyed by detach: the next daemon reads them). */
  #pipes: Readable[] = [];
  #probeSpec: ServiceSpec | undefined;
  #statusText: string | null = null;
  #waiters: { test: (m: InstanceModel) => boolean; done: () => void }[] = [];

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.spec = options.spec;
    const count = options.count ?? options.spec.instances;
    this.#tree = options.processes.tree(instanceName(options.spec.name, options.index, count));
    this.#model = newInstance(options.spec.name, options.index, count, options.clock.now());
  }

  get name(): string {
    return this.#model.name;
  }

  /** The service's instance count changed: `web` becomes `web:0`, or back. */
  renumber(count: number): void {
    this.#model = { ...this.#model, name: instanceName(this.spec.name, this.#model.index, count) };
  }

  /** spawnIdentity of the definition the live process was started from; null without one. */
  get spawnedAs(): string | null {
    return isActive(this.#model.current) ? (this.#process?.spawnedAs ?? null) : null;
  }

  /** What state.json keeps of the instance. */
  record(): InstanceRecord {
    const m = this.#model;
    const live = pidOf(m.current) !== null && this.#attached;
    return {
      name: m.name,
      index: m.index,
      current: m.current,
      restarts: m.restarts,
      consecutiveFailures: m.consecutiveFailures,
      failedStarts: m.failedStarts,
      lastExit: m.lastExit,
      process: live ? (this.#process ?? null) : null,
    };
  }

  get model(): InstanceModel {
    return this.#model;
  }

  /** The instance's status, as in `status --json`. */
  status(): InstanceStatus {
    const live = isActive(this.#model.current) && this.#attached;
    const pid = pidOf(this.#model.current);
    return {
      ...encodeInstance(this.#model, this.#stderr.lines()),
      startedAt: pid === null ? null : this.#startedAt,
      tree: live ? (this.#tree.stats() ?? null) : null,
      readySource: this.spec.ready?.check.kind ?? 'min_uptime',
      statusText: live ? this.#statusText : null,
      logs: this.#o.sink.health(),
    };
  }

  /** Pids that outlived SIGKILL at the last stop, which warden stopped waiting for; else []. */
  get survivors(): number[] {
    return [...this.#survivors];
  }

  /** The live processes of the instance's tree (for `warden ps`). */
  members(): ProcInfo[] {
    return this.#attached ? this.#tree.members() : [];
  }

  /** Feeds an event; events raised while one is handled are queued and handled in order. */
  dispatch(event: InstanceEvent): void {
    this.#queue.push(event);
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        this.#apply(next);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Sends `signal` to the instance's whole process group. @returns false when nothing runs */
  signal(signal: SignalName): boolean {
    // Only a live tree: the group id of a dead one may already name an unrelated group.
    if (!this.#attached || !isActive(this.#model.current)) return false;
    return this.#tree.signal(signal);
  }

  /**
   * Resolves once `test` holds for the model (checked now and after every transition), or once
   * `signal` aborts (then the waiter is dropped, so abandoned waits hold no memory).
   */
  until(test: (m: InstanceModel) => boolean, signal?: AbortSignal): Promise<void> {
    if (test(this.#model) || signal?.aborted === true) return Promise.resolve();
    return new Promise((done) => {
      const waiter = { test, done };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        done();
      });
    });
  }

  /**
   * Takes the instance back as an earlier daemon left it: its counters from state.json (`rec`),
   * and its process tree when the system shows one of this home's runs for it (`found`, see
   * leftovers.ts): the recorded process if it is there, else any tree started for this instance
   * (state.json may be stale). A recorded process that is not found ended while no daemon ran
   * (exit status unknown) and its restart policy applies; state.json alone adopts nothing.
   */
  restore(rec: InstanceRecord, found: Leftovers): RestoreOutcome {
    this.#model = {
      ...this.#model,
      restarts: rec.restarts,
      consecutiveFailures: rec.consecutiveFailures,
      failedStarts: rec.failedStarts,
      lastExit: rec.lastExit,
    };
    const s = rec.current;
    const p = rec.process;
    const recorded = p === null ? undefined : found.takeRecorded(p);
    if (recorded !== undefined && p !== null && isActive(s)) return this.#adopt(p, s);
    const tree = recorded ?? found.takeFor(this.spec.name, this.#model.index);
    if (tree !== undefined) return this.#adopt(recordOf(tree), running(tree));
    if (!isActive(s)) {
      this.#model = { ...this.#model, current: s };
      if (s.state === 'backoff') this.dispatch({ type: 'resumed' });
      return 'restored';
    }
    if (p === null) {
      const reason = 'not adopted: its spawn was under way and no process of it was found';
      this.#model = { ...this.#model, current: { state: 'stopped', since: s.since, reason } };
      return 'left-alone';
    }
    // Gone (or never provably this home's): it ended while no daemon ran.
    this.#model = { ...this.#model, current: s };
    this.dispatch({ type: 'exited', status: { unknown: 'ended while no daemon ran' } });
    return 'lost';
  }

  /**
   * Takes back a tree an earlier daemon started for this instance, if `found` holds one and the
   * instance runs nothing now (a config applied after a daemon died without a usable state.json).
   * @returns true when one was taken: the instance is running it
   */
  claim(found: Leftovers): boolean {
    if (isActive(this.#model.current)) return false;
    const tree = found.takeFor(this.spec.name, this.#model.index);
    if (tree === undefined) return false;
    return this.#adopt(recordOf(tree), running(tree)) === 'adopted';
  }

  // Watches and reads process `p` again, found alive in this home's tree, and resumes as `s`.
  #adopt(p: ProcessRecord, s: InstanceState & { state: 'starting' | 'running' | 'stopping' }) {
    if (!this.#tree.adopt(p.pid, p.startTime, p.tree)) {
      const reason = `not adopted: pid ${p.pid} is held by another containment mode`;
      this.#model = { ...this.#model, current: { state: 'stopped', since: s.since, reason } };
      return 'left-alone';
    }
    this.#attached = true;
    this.#process = p;
    this.#startedAt = p.startedAt;
    const alive = this.#o.processes.startTimeOf?.(p.pid) === p.startTime;
    const watch = alive
      ? this.#o.processes.watchExit?.(p.pid, p.startTime, () => this.#lost(p.pid, ADOPTED))
      : undefined;
    if (watch === undefined) {
      // Gone before it could be watched: it ended while no daemon ran.
      this.#model = { ...this.#model, current: s };
      this.dispatch({ type: 'exited', status: { unknown: 'ended while no daemon ran' } });
      return 'lost';
    }
    this.#exitWatch = watch;
    const probe = this.#currentProbe();
    if (p.pipes !== null) {
      const pipes = this.#o.processes.reopenOutput?.(p.pid, p.pipes);
      this.#capture(pipes?.stdout, 'out');
      this.#capture(pipes?.stderr, 'err');
      if (pipes?.stdout === undefined || pipes.stderr === undefined)
        this.#o.onError(this, `output of pid ${p.pid} not found in /proc; it is not captured`);
    }
    const as = s.state;
    const intent = s.state === 'stopping' ? s.intent : undefined;
    this.dispatch({
      type: 'adopted',
      pid: p.pid,
      as,
      since: s.since,
      ...(intent === undefined ? {} : { intent }),
    });
    if (as === 'starting') probe.started(undefined);
    return 'adopted';
  }

  // The adopted main process `pid` ended; how is unknown (not our child).
  #lost(pid: number, why: string): void {
    this.#exitWatch = undefined;
    if (this.#process?.pid !== pid || pidOf(this.#model.current) !== pid) return;
    this.dispatch({ type: 'exited', status: { unknown: why } });
  }

  /** Lets the instance's processes run on without this daemon (`down --keep-services`). */
  detach(): void {
    this.#isLetGo = true;
    this.#exitWatch?.cancel();
    this.#exitWatch = undefined;
    for (const handle of this.#timers.values()) this.#o.clock.cancel(handle);
    this.#timers.clear();
    if (this.#treePoll !== undefined) this.#o.clock.cancel(this.#treePoll);
    this.#probe.close();
    // What is still in the pipes stays there for the next daemon; nothing read is lost.
    for (const pipe of this.#pipes) pipe.destroy();
    this.#pipes = [];
    // The daemon may exit while its child runs on (its handle would keep the loop alive).
    this.#child?.unref();
    for (const pipe of this.#child?.stdio ?? []) pipe?.destroy();
  }

  #apply(event: InstanceEvent): void {
    const from = this.#model.current;
    // A user's start begins a new story: the stderr of earlier runs would mislead.
    if (event.type === 'restart' || (event.type === 'start' && !isActive(from)))
      this.#stderr.clear();
    // The core gives up on a tree that outlives SIGKILL by KILL_GRACE_MS; say which pids those are.
    const givingUp =
      event.type === 'timer' &&
      event.timer === 'kill' &&
      from.state === 'stopping' &&
      from.killSent;
    const survivors = givingUp && this.#attached ? this.#tree.members().map((p) => p.pid) : [];
    const t = transition(this.#model, event, this.#o.clock.now(), this.spec);
    const to = t.model.current.state;
    if (to !== 'starting' && to !== 'running') this.#probe.stop();
    if (givingUp) {
      this.#survivors = survivors;
      if (survivors.length > 0) {
        this.#o.onError(
          this,
          `pids ${survivors.join(', ')} survived SIGKILL (uninterruptible sleep?); no longer waiting for them`,
        );
      }
    } else if (event.type === 'start' || event.type === 'restart' || event.type === 'stop') {
      this.#survivors = [];
    }
    // state.json follows pid and state; counters that change alone (the backoff's reset after
    // reset_after, which 1000 instances started together reach together) ride with the next write.
    const changed = t.model.current !== from;
    this.#model = t.model;
    for (const effect of t.effects) this.#run(effect);
    if (changed) this.#o.onRecordChange?.(this);
    if (t.reason !== undefined || from.state !== t.model.current.state) {
      this.#o.onTransition(this, from, t.reason ?? '');
    }
    this.#waiters = this.#waiters.filter((w) => (w.test(this.#model) ? (w.done(), false) : true));
  }

  #run(effect: Effect): void {
    switch (effect.kind) {
      case 'spawn':
        return (this.#o.pace ?? UNPACED).run(() => this.#spawnIfWanted());
      case 'signal-tree':
        this.#signalTree(effect.signal);
        // A stopped (SIGSTOP) process acts on nothing but SIGKILL until continued (as systemd does).
        if (effect.signal !== 'SIGKILL') this.#signalTree('SIGCONT');
        return;
      case 'await-tree':
        return this.#awaitTree();
      case 'set-timer': {
        const old = this.#timers.get(effect.timer);
        if (old !== undefined) this.#o.clock.cancel(old);
        const dueAt = this.#o.clock.now() + effect.delayMs;
        const handle = this.#o.clock.after(effect.delayMs, () => this.#fire(effect.timer, dueAt));
        this.#timers.set(effect.timer, handle);
        return;
      }
      case 'clear-timers':
        for (const handle of this.#timers.values()) this.#o.clock.cancel(handle);
        this.#timers.clear();
        return;
    }
  }

  // A timer is due. A watchdog deadline is judged only after the pings already sent were handled
  // (they wait in the notify socket while the event loop is busy or stopped), and with how late
  // it fired, so that the core can tell a stalled daemon from a silent service.
  #fire(timer: TimerName, dueAt: number): void {
    this.#timers.delete(timer);
    if (timer === 'watchdog') {
      this.#probe.drain?.();
      if (this.#timers.has(timer)) return; // a ping handled just now armed it again
    }
    const lateMs = Math.max(0, this.#o.clock.now() - dueAt);
    this.dispatch({ type: 'timer', timer, ...(lateMs > 0 ? { lateMs } : {}) });
  }

  #signalTree(signal: SignalName): void {
    if (!this.#attached) return;
    try {
      this.#tree.signal(signal);
    } catch (error) {
      this.#o.onError(this, `${signal} to the tree failed: ${String(error)}`);
    }
  }

  /** Frees the readiness probe (the daemon is closing). */
  close(): void {
    this.#isLetGo = true;
    this.#probe.close();
  }

  // The probe follows the spec: a changed `ready` takes effect at the next spawn.
  #currentProbe(): ReadinessProbe {
    const factory = this.#o.probes;
    if (factory === undefined || this.#probeSpec === this.spec) return this.#probe;
    this.#probe.close();
    this.#probeSpec = this.spec;
    const hooks: ReadinessHooks = {
      ready: (source) => this.dispatch({ type: 'ready', source }),
      status: (text) => void (this.#statusText = text),
      watchdog: () => this.dispatch({ type: 'watchdog-ping' }),
      log: (message) => this.#o.onError(this, message),
    };
    this.#probe = factory(
      this.spec,
      this.name,
      hooks,
      (pid) => this.#attached && this.#tree.contains(pid),
    );
    return this.#probe;
  }

  // A spawn the pacer let wait runs only if it is still wanted: not after a stop (the model left
  // `starting`), a later spawn (it has a pid), detach or close.
  #spawnIfWanted(): void {
    const s = this.#model.current;
    if (this.#isLetGo || s.state !== 'starting' || s.pid !== null) return;
    this.#spawn();
  }

  #spawn(): void {
    const spec = this.spec;
    const spawnedAs = spawnIdentity(spec);
    this.#process = undefined;
    const probe = this.#currentProbe();
    const extras = probe.extras();
    const env = {
      ...instanceEnv(this.#o.baseEnv, spec.env, spec.name, this.#model.index),
      ...extras.env,
    };
    this.#statusText = null;
    let child;
    try {
      const base = { command: spec.command, cwd: spec.cwd, env, pipes: extras.pipes };
      const req = this.#tree.prepare(base, spawnedAs);
      child = 'spawnError' in req ? req : this.#o.processes.spawn(req);
    } catch (error) {
      // The process layer reports failures as data; a throw is its bug, kept from escaping.
      child = thrownSpawnFailure(error, spec.command);
    }
    if ('spawnError' in child) {
      this.dispatch({ type: 'spawn-failed', error: child });
      return;
    }
    this.#child = child;
    const pid = child.pid;
    this.#tree.attach(pid);
    this.#attached = true;
    this.#startedAt = this.#o.clock.now();
    const tree = this.#tree.identity();
    const startTime = this.#o.processes.startTimeOf?.(pid);
    this.#process =
      tree === undefined || startTime === undefined
        ? undefined
        : {
            pid,
            startTime,
            startedAt: this.#startedAt,
            spawnedAs,
            tree,
            pipes: this.#o.processes.pipesOf?.(child) ?? null,
          };
    this.#capture(child.stdout, 'out');
    this.#capture(child.stderr, 'err');
    probe.started(child);
    child.once('exit', (end) => {
      if (this.#child !== child) return;
      this.dispatch(
        isSpawnFailure(end)
          ? { type: 'exec-failed', pid, error: end }
          : { type: 'exited', status: end },
      );
    });
    this.dispatch({ type: 'spawned', pid });
  }

  #capture(pipe: Readable | null | undefined, stream: Stream): void {
    if (pipe === null || pipe === undefined) return;
    this.#pipes = [...this.#pipes.filter((p) => !p.destroyed), pipe];
    const tail = stream === 'err' ? (line: string) => this.#stderr.push(line) : undefined;
    // Only a `ready.log` check needs every line (the fast path hands out only the tail).
    const probe = this.#probe;
    const every =
      this.spec.ready?.check.kind === 'log' ? (l: string) => probe.line(stream, l) : undefined;
    const capture = this.#o.sink.open(this.#model.name, stream, tail, every);
    readOutput(pipe, capture, (error) =>
      this.#o.onError(this, `reading ${stream}: ${error.message}`),
    );
  }

  #awaitTree(): void {
    const check = (): void => {
      this.#treePoll = undefined;
      if (this.#model.current.state !== 'stopping') return;
      if (this.#attached) this.#tree.sweep();
      if (this.#attached && !this.#tree.isEmpty()) {
        this.#treePoll = this.#o.clock.after(TREE_POLL_MS, check);
        return;
      }
      this.#tree.release();
      this.dispatch({ type: 'tree-gone' });
    };
    if (this.#treePoll !== undefined) this.#o.clock.cancel(this.#treePoll);
    check();
  }
}

// A leftover tree found without a record of its state: its process runs, so it is running.
function running(t: LeftoverTree): InstanceState & { state: 'running' } {
  return { state: 'running', since: t.startedAt, pid: t.pid };
}

// A SpawnFailure for an error thrown by the process layer: its errno name when it has one.
function thrownSpawnFailure(error: unknown, command: Command): SpawnFailure {
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'EIO';
  const path = command.kind === 'shell' ? '/bin/sh' : command.argv[0];
  return {
    spawnError: code,
    path,
    message: error instanceof Error ? error.message : String(error),
  };
}
