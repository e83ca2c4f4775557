// The stable shape of `warden status --json` (README "Status JSON"), built from core models.
import type { LastExit } from './exit.js';
import type { HealthStatus } from './health.js';
import type { WatchStatus } from './watch.js';
import type { ScheduleStatus } from './schedule.js';
import { pidOf, type FailReason, type InstanceModel, type StateName } from './instance.js';
import type { ServiceKind } from './spec.js';

/** One instance in `status --json`. Times are ms since the epoch. */
export interface InstanceStatus {
  /** `web` for one instance, `web:0` when the service has several. */
  name: string;
  service: string;
  /** `service` or `task` (config `kind`). */
  kind: ServiceKind;
  state: StateName;
  /** Main process pid while it has one, else null. */
  pid: number | null;
  /** When the instance entered its current state. */
  since: number;
  /** Automatic restarts since the last start asked for by a user. */
  restarts: number;
  /** `{code}`, `{signal, coreDumped}`, `{spawnError, path, message}` or null. */
  lastExit: LastExit | null;
  /** In `backoff`: when the next automatic start happens; else null. */
  nextRestartAt: number | null;
  /** In `backoff`: the number of the coming automatic restart; else null. */
  attempt: number | null;
  /** Why the instance is `stopped` or `failed`, in words; else null. */
  reason: string | null;
  /**
   * In `exited` or `failed`: how long the last run lasted, from its start to its end (ms; a
   * task's duration); null in other states or when unknown.
   */
  ranMs: number | null;
  /** The last stderr lines (oldest first) when the instance is not starting or running; else []. */
  lastStderr: string[];
  /**
   * The telling lines of the last run's stderr (the first line of its last error block, and its
   * last line that says something; at most 2, oldest first) when the instance is not starting or
   * running; else []. What the table shows.
   */
  stderrSummary: string[];
  /** What makes the instance `running`: a readiness source (`notify`, `tcp`...) or `min_uptime`. */
  readySource: string;
  /** The last sd_notify `STATUS=` text while starting or running; else null. */
  statusText: string | null;
  /**
   * Why the readiness check has not passed in the current or last start (`tcp 127.0.0.1:3900:
   * port 3900 is held by pid 1234 (node), not by this instance`); null once it passed.
   */
  waiting: string | null;
  /** When the current main process was spawned (ms since the epoch), while there is one; else null. */
  startedAt: number | null;
  /** The figures of the instance's tree (CPU, memory, processes) while it has a live process; else null. */
  tree: TreeFigures | null;
  /** The service's log file: lines lost (write failures, full queue) and the current write error. */
  logs: LogHealth;
  /** `health` probes: ok or failing (n of threshold) and why, the last restart they caused; null without `health`. */
  health: HealthStatus | null;
  /** `watch`: a restart for changed files under way, the last change, why it was not applied; null without `watch`. */
  watch: WatchStatus | null;
  /** `schedule`: its times, the next run, the last runs (start, duration, exit); null without `schedule`. */
  schedule: ScheduleStatus | null;
}

/**
 * What an instance's process tree uses (`status --json` `tree`, `ps --json`; docs/cli/status.md).
 * In cgroup mode from the instance's leaf cgroup; in process-group mode summed over the tree's
 * live processes as the daemon's last /proc pass found them (about 1 s old).
 */
export interface TreeFigures {
  /** Live processes of the tree. */
  pids: number;
  /** cgroup `memory.current` where the memory controller is on, else the sum of the members' RSS. */
  memoryBytes: number;
  /**
   * The highest memory of the instance under this daemon, across its restarts: cgroup
   * `memory.peak` of its leaf, else the highest `memoryBytes` seen (at each status call, or /proc pass).
   */
  peakMemoryBytes: number;
  /**
   * CPU time (user + system, seconds) of the current run: cgroup `cpu.stat` `usage_usec` since the
   * spawn where the memory controller is on, else utime+stime+cutime+cstime of the live members
   * (proc(5)): their own and that of the children they reaped.
   */
  cpuSeconds: number;
  /**
   * CPU use in % of one core (200 = two cores busy) over the last interval of at least 1 s between
   * two samples (status calls in cgroup mode, /proc passes in process-group mode), or since the
   * spawn for the first; null until there are two samples (an adopted instance).
   */
  cpuPercent: number | null;
  /**
   * Pressure stall information of the leaf (cgroup `cpu.pressure`, `memory.pressure`, line `some`,
   * `avg10`): the share of the last 10 s in which some process of the tree waited for CPU, or
   * for memory (%); null without PSI (process-group mode, a kernel without CONFIG_PSI or `psi=0`).
   */
  pressure: { cpuPercent: number; memoryPercent: number } | null;
}

/** The health of a service's log (`status --json` `logs`; README "Status JSON"). */
export interface LogHealth {
  /** Lines lost since the daemon opened the file; each loss is also a marker line in the file. */
  droppedLines: number;
  /** Why writing fails right now (an errno name such as `ENOSPC`), else null. */
  error: string | null;
}

/** The daemon part of `status --json`. */
export interface DaemonStatus {
  pid: number;
  version: string;
  home: string;
  /** Absolute path of the config file, or null before one was loaded. */
  config: string | null;
  /** How instances' process trees are held: `cgroup` (v2) or `process-group`. */
  containment: 'cgroup' | 'process-group';
}

/** One listening socket warden holds for a service (config `listen`), in `status --json`. */
export interface ListenStatus {
  service: string;
  /** Its LISTEN_FDNAMES entry. */
  name: string;
  /** The address as configured (canonical): `127.0.0.1:8080`, `3000`, `unix:/run/app.sock`. */
  address: string;
  /** Where it is bound, with the port the kernel picked for port 0: `127.0.0.1:41234`. */
  bound: string;
  /** The fd the instances get it as (3..). */
  fd: number;
  backlog: number;
}

/** The whole of `status --json`. */
export interface StatusReport {
  daemon: DaemonStatus;
  instances: InstanceStatus[];
  /** The listening sockets of the services shown, in config order ([] without `listen`). */
  sockets: ListenStatus[];
}

/**
 * What the runtime observes of an instance beyond its model: its kept stderr lines (oldest
 * first) and the status fields only the runtime knows, each already null where it does not apply.
 */
export type InstanceObservations = Pick<
  InstanceStatus,
  | 'kind'
  | 'readySource'
  | 'statusText'
  | 'waiting'
  | 'startedAt'
  | 'tree'
  | 'logs'
  | 'health'
  | 'watch'
  | 'schedule'
> & { stderr: readonly string[]; stderrSummary: readonly string[] };

/** Builds the status of one instance from its model and what the runtime observes of it. */
export function encodeInstance(m: InstanceModel, seen: InstanceObservations): InstanceStatus {
  const s = m.current;
  const live = s.state === 'starting' || s.state === 'running';
  return {
    name: m.name,
    service: m.service,
    kind: seen.kind,
    state: s.state,
    pid: pidOf(s),
    since: s.since,
    restarts: m.restarts,
    lastExit: m.lastExit,
    nextRestartAt: s.state === 'backoff' ? s.restartAt : null,
    attempt: s.state === 'backoff' ? s.attempt : null,
    reason:
      s.state === 'stopped' ? s.reason : s.state === 'failed' ? describeFailure(s.reason) : null,
    ranMs:
      (s.state === 'exited' || s.state === 'failed') && m.runStartedAt !== null
        ? s.since - m.runStartedAt
        : null,
    lastStderr: live ? [] : [...seen.stderr],
    stderrSummary: live ? [] : [...seen.stderrSummary],
    readySource: seen.readySource,
    statusText: seen.statusText,
    waiting: seen.waiting,
    startedAt: seen.startedAt,
    tree: seen.tree,
    logs: seen.logs,
    health: seen.health,
    watch: seen.watch,
    schedule: seen.schedule,
  };
}

/** Words for a FailReason, e.g. `start limit: 6 failed starts within 60000ms; last: exit 1`. */
export function describeFailure(reason: FailReason): string {
  if (reason.kind === 'spawn-error') return `spawn failed: ${reason.error.message}`;
  if (reason.kind === 'task-failed') return `task failed: ${reason.last}`;
  return `start limit: ${reason.failedStarts} failed starts within ${reason.intervalMs}ms; last: ${reason.last}`;
}
