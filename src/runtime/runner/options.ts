// What a runner is built from: the OS operations it is lent, its callbacks, its probe factory.
import type { Readable } from 'node:stream';
import type { ServiceSpec } from '../../config/types.js';
import type { SpawnFailure } from '../../core/exit.js';
import type { InstanceState } from '../../core/instance.js';
import type { InstanceTree } from '../../effects/containment/containment.js';
import type { OutputPipes } from '../../effects/spawn/output-pipes.js';
import type { ServiceProcess, SpawnRequest } from '../../effects/spawn/spawn.js';
import type { Stream } from '../../logs/format.js';
import type { OutputSink } from '../../logs/service-log.js';
import type { Clock } from '../../core/clock.js';
import type { ReadinessHooks, ReadinessProbe } from '../readiness/types.js';
import type { SpawnPace } from '../spawn-pacer.js';
import type { PassedSocket } from '../../effects/spawn/listen-fds.js';
import type { Runner } from './runner.js';
import type { WatchStatus } from '../../core/watch.js';
import type { ScheduleStatus } from '../../core/schedule.js';

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
  /** The listening sockets each spawn passes as fds 3.. (config `listen`); default: none. */
  sockets?: () => readonly PassedSocket[];
  /** The service's `watch` status for `status`; default: none. */
  watch?: () => WatchStatus | null;
  /** The service's `schedule` status for `status`; default: none. */
  schedule?: () => ScheduleStatus | null;
}

/**
 * Builds the readiness probe of instance `name` of `spec`; `isMember` is its tree's membership,
 * `members` the pids of its live processes now.
 */
export type ProbeFactory = (
  spec: ServiceSpec,
  name: string,
  hooks: ReadinessHooks,
  isMember: (pid: number) => boolean,
  members: () => Iterable<number>,
) => ReadinessProbe;
