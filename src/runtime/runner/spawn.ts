// Spawning an instance's main process: its environment and request, its tree attached, the
// record state.json keeps of it, its output read, its probe told, and its end reported.
import type { Readable } from 'node:stream';
import { NO_LIMITS } from '../../config/limits.js';
import { spawnIdentity } from '../../config/spawn-identity.js';
import type { Command, Privileges, ServiceSpec } from '../../config/types.js';
import type { SpawnPrivileges } from '../../effects/spawn/privileges.js';
import {
  isSignalExit,
  isSpawnFailure,
  type ExitStatus,
  type SpawnFailure,
} from '../../core/exit.js';
import type { InstanceEvent } from '../../core/instance.js';
import type { InstanceTree } from '../../effects/containment/containment.js';
import { instanceEnv, type ServiceProcess } from '../../effects/spawn/spawn.js';
import type { PassedSocket } from '../../effects/spawn/listen-fds.js';
import type { Stream } from '../../logs/format.js';
import type { ProcessRecord } from '../../effects/containment/leftovers.js';
import type { ReadinessProbe } from '../readiness/types.js';
import type { ProcessHold } from './hold.js';
import type { ProcessLayer } from './options.js';
import { errnoOf } from '../../effects/ffi/errno.js';

/** What a runner lends the spawn of its instance. */
export interface SpawnHost {
  spec: ServiceSpec;
  index: number;
  baseEnv: NodeJS.ProcessEnv;
  processes: ProcessLayer;
  hold: ProcessHold;
  /** The readiness probe for this spawn. */
  probe: ReadinessProbe;
  /** The listening sockets it gets as fds 3.. (config `listen`). */
  sockets: readonly PassedSocket[];
  /** The time now (ms since the epoch). */
  now: () => number;
  /** Reads an output pipe of the new process into the log. */
  read: (pipe: Readable | null, stream: Stream) => void;
  /** Feeds the instance's state machine (`spawned`, `spawn-failed`, `exited`, `exec-failed`). */
  dispatch: (event: InstanceEvent) => void;
}

/**
 * Spawns the instance's main process and wires it: output read, probe started, its end
 * reported while it is the current one; then `spawned`, or `spawn-failed` with why.
 */
export function spawnInstance(host: SpawnHost): void {
  const { hold, probe } = host;
  const extras = probe.extras();
  if (extras.failure !== undefined) {
    host.dispatch({ type: 'spawn-failed', error: extras.failure });
    return;
  }
  const spawned = spawnMain({
    spec: host.spec,
    index: host.index,
    baseEnv: host.baseEnv,
    tree: hold.tree,
    processes: host.processes,
    extras,
    sockets: host.sockets,
    now: host.now,
  });
  if ('spawnError' in spawned) {
    host.dispatch({ type: 'spawn-failed', error: spawned });
    return;
  }
  const { child } = spawned;
  const pid = child.pid;
  hold.spawned(spawned);
  host.read(child.stdout, 'out');
  host.read(child.stderr, 'err');
  probe.started(child);
  child.once('exit', (end) => {
    if (!hold.isChild(child)) return;
    host.dispatch(
      isSpawnFailure(end)
        ? { type: 'exec-failed', pid, error: end }
        : { type: 'exited', status: withOom(end, hold.tree, host.spec.limits.memoryBytes) },
    );
  });
  host.dispatch({ type: 'spawned', pid });
}

/**
 * The exit status as it was: a SIGKILL while the tree's cgroup counted an OOM kill is the OOM
 * killer's (`oom`, with the memory limit in force); a SIGKILL from anyone else stays a SIGKILL.
 */
function withOom(status: ExitStatus, tree: InstanceTree, limit: number | null): ExitStatus {
  if (!isSignalExit(status) || status.signal !== 'SIGKILL' || tree.oomKilled?.() !== true)
    return status;
  return { ...status, oom: true, ...(limit === null ? {} : { limit }) };
}

/** What a spawn is made of: the instance, its tree and what its probe adds. */
export interface SpawnInput {
  spec: ServiceSpec;
  index: number;
  baseEnv: NodeJS.ProcessEnv;
  tree: InstanceTree;
  processes: ProcessLayer;
  /** The env and extra pipes the readiness probe asks for (`NOTIFY_SOCKET`, `ready.fd`). */
  extras: ReturnType<ReadinessProbe['extras']>;
  /** The listening sockets it gets as fds 3.. (config `listen`); default none. */
  sockets?: readonly PassedSocket[];
  /** The time now (ms since the epoch). */
  now: () => number;
}

/** A main process spawned and attached to its tree. */
export interface SpawnedMain {
  child: ServiceProcess;
  /** When it was spawned (ms since the epoch). */
  startedAt: number;
  /** What state.json keeps of it; undefined when its tree or start time is unknown. */
  process: ProcessRecord | undefined;
}

/**
 * Spawns the main process of instance `index` of `spec` into its tree and attaches it.
 * @returns the process, or how the spawn failed (as data: the process layer's throw included)
 */
export function spawnMain(input: SpawnInput): SpawnedMain | SpawnFailure {
  const { spec, tree, processes } = input;
  const spawnedAs = spawnIdentity(spec);
  const env = {
    ...instanceEnv(input.baseEnv, spec.env, spec.name, input.index, accountEnv(spec.privileges)),
    ...input.extras.env,
  };
  let child;
  try {
    const privileges = spawnPrivileges(spec.privileges);
    const { limits } = spec;
    const base = {
      command: spec.command,
      cwd: spec.cwd,
      env,
      pipes: input.extras.pipes,
      ...(privileges === undefined ? {} : { privileges }),
      ...(limits === NO_LIMITS ? {} : { limits }),
      ...(limits.rlimits.length === 0 ? {} : { rlimits: limits.rlimits }),
      ...(input.sockets === undefined || input.sockets.length === 0
        ? {}
        : { sockets: input.sockets }),
    };
    const req = tree.prepare(base, spawnedAs);
    child = 'spawnError' in req ? req : processes.spawn(req);
  } catch (error) {
    // The process layer reports failures as data; a throw is its bug, kept from escaping.
    child = thrownSpawnFailure(error, spec.command);
  }
  if ('spawnError' in child) return child;
  const pid = child.pid;
  tree.attach(pid);
  const startedAt = input.now();
  const identity = tree.identity();
  const startTime = processes.startTimeOf?.(pid);
  const process =
    identity === undefined || startTime === undefined
      ? undefined
      : {
          pid,
          startTime,
          startedAt,
          spawnedAs,
          tree: identity,
          pipes: processes.pipesOf?.(child) ?? null,
        };
  return { child, startedAt, process };
}

// A SpawnFailure for an error thrown by the process layer: its errno name when it has one.
function thrownSpawnFailure(error: unknown, command: Command): SpawnFailure {
  const code = errnoOf(error) ?? 'EIO';
  const path = command.kind === 'shell' ? '/bin/sh' : command.argv[0];
  return {
    spawnError: code,
    path,
    message: error instanceof Error ? error.message : String(error),
  };
}

/** HOME, USER, LOGNAME and SHELL of the user a service runs as (config `user`); else none. */
function accountEnv(p: Privileges): Record<string, string> {
  const a = p.runAs;
  if (a === null || a.user === null) return {};
  return { HOME: a.home ?? '/', USER: a.user, LOGNAME: a.user, SHELL: a.shell ?? '/bin/sh' };
}

/** What a start must change (warden-spawner does it); undefined when the daemon's stay. */
export function spawnPrivileges(p: Privileges): SpawnPrivileges | undefined {
  const { runAs, umask, noNewPrivileges, capabilities } = p;
  if (runAs === null && umask === null && !noNewPrivileges && capabilities.length === 0)
    return undefined;
  return {
    ...(runAs === null ? {} : { uid: runAs.uid, gid: runAs.gid, groups: runAs.groups }),
    ...(umask === null ? {} : { umask }),
    noNewPrivileges,
    capabilities,
  };
}
