// The validated, typed form of warden.yaml: what the rest of warden reads, never the raw YAML.
import type {
  BackoffSpec,
  Command,
  InstancePolicy,
  ReadyCheck,
  ReadySpec,
  RestartPolicy,
  StartLimitSpec,
} from '../core/spec.js';
import type { ListenSpec } from './listen.js';
import type { WatchSpec } from './watch.js';
import type { ScheduleSpec } from './schedule.js';

// The parts of a service the state machine reads are the core's types (the core imports nothing
// outside itself); the config produces them.
export type { BackoffSpec, Command, ReadyCheck, ReadySpec, RestartPolicy, StartLimitSpec };
export type { ListenAddress, ListenSpec } from './listen.js';
export type { WatchSpec } from './watch.js';
export type { ScheduleSpec } from './schedule.js';

/** Log capture and rotation of one service (config `logs`; docs/config/logs.md). */
export interface LogSpec {
  /** Size at which the file is rotated (bytes); null: never. Default 10 MiB. */
  maxBytes: number | null;
  /** Rotated files kept (`NAME.log.1` ... `.keep`). Default 5. */
  keep: number;
  /** gzip rotated files in the background. Default false. */
  compress: boolean;
  /** `text` (`TIME INSTANCE STREAM | text`) or `json` (one object per line). Default text. */
  format: 'text' | 'json';
  /** Timestamps in `utc` (`Z`) or `local` time with its offset. Default utc. */
  time: 'utc' | 'local';
  /** Longest line kept whole (bytes); longer ones are split. Default 16384. */
  maxLineBytes: number;
}

/**
 * One service of the config, with every default applied and every path absolute. What the state
 * machine reads (restart, backoff, start limit, min uptime, stop signal and timeout, readiness,
 * watchdog) is the core's InstancePolicy; the defaults are the schema's (schema.ts).
 */
export interface ServiceSpec extends InstancePolicy {
  /** The key under `services:`; matches /^[A-Za-z0-9_.-]+$/ (used in file names). */
  name: string;
  command: Command;
  /** Absolute working directory (relative paths in the file resolve against its directory). */
  cwd: string;
  /** Variables from `env_file` (if any) overlaid by `env`; the daemon's own env is added at spawn. */
  env: Record<string, string>;
  /** Number of instances, 1..1000. Default 1. */
  instances: number;
  /** Log capture and rotation: the service's `logs`, else the top-level `logs`, else defaults. */
  logs: LogSpec;
  /** `depends_on`: services to start first (and stop after this one). */
  dependsOn: Dependency[];
  /** Who the instances run as and with what privileges. */
  privileges: Privileges;
  /** `listen`: sockets warden binds and passes to every instance (docs/config/listen.md). */
  listen: ListenSpec[];
  /** `limits`: the service's own keys, else the top-level ones; NO_LIMITS when neither. */
  limits: LimitSpec;
  /** `watch`: files whose changes restart the service (docs/config/watch.md); null: none. */
  watch: WatchSpec | null;
  /** `schedule` (with `timezone`, `overlap`, `catch_up`): when a task runs on its own (docs/config/schedule.md); null: none. */
  schedule: ScheduleSpec | null;
}

/** Resource limits of a service (config `limits`; docs/config/limits.md). null: not set. */
export interface LimitSpec {
  /** cgroup memory.max (bytes); in process-group mode, the tree's RSS polled against it. */
  memoryBytes: number | null;
  /** cgroup memory.high (bytes). */
  memoryHighBytes: number | null;
  /** cgroup cpu.max, as cores: 0.5 for `50%`. */
  cpuCores: number | null;
  /** cgroup pids.max. */
  pids: number | null;
  /** setrlimit(2) before the exec, in every mode. */
  rlimits: Rlimit[];
  /** Process-group mode: how often the tree's RSS is compared with memoryBytes (ms). Default 1000. */
  memoryPollMs: number;
}

/** The rlimits warden sets (setrlimit(2) names, lower case: `nofile` is RLIMIT_NOFILE). */
export type RlimitName = 'nofile' | 'core' | 'nproc' | 'stack' | 'as';

/** One rlimit: soft and hard values (bytes or a count); null: RLIM_INFINITY (`unlimited`). */
export interface Rlimit {
  resource: RlimitName;
  soft: number | null;
  hard: number | null;
}

/** Who a service's instances run as and with what privileges (docs/config/user.md). */
export interface Privileges {
  /** Who the instances run as (`user`, `group`, `groups`); null: as the daemon. */
  runAs: RunAs | null;
  /** File mode creation mask (`umask`, e.g. 0o027); null: the daemon's, 022. */
  umask: number | null;
  /** `no_new_privileges`: PR_SET_NO_NEW_PRIVS before the exec. */
  noNewPrivileges: boolean;
  /** `capabilities`, by number (capabilities(7)): kept as ambient capabilities. */
  capabilities: number[];
}

/** The privileges of a service that sets none of the keys: the daemon's. */
export const DAEMON_PRIVILEGES: Privileges = {
  runAs: null,
  umask: null,
  noNewPrivileges: false,
  capabilities: [],
};

/** A user and groups resolved from the user databases (config `user`, `group`, `groups`). */
export interface RunAs {
  /** The user's name; null when only a group was given (the uid stays the daemon's). */
  user: string | null;
  uid: number;
  /** The primary group. */
  gid: number;
  /** Every group the process gets (setgroups(2)): the primary one first. */
  groups: number[];
  /** From passwd(5) when `user` was given: HOME and SHELL of the instance. */
  home: string | null;
  shell: string | null;
}

/** One entry of `depends_on`. */
export interface Dependency {
  service: string;
  /**
   * `running`: wait until the dependency is ready; `started`: until it has been spawned;
   * `completed`: until it ended for good (`exited` or `failed`, any status); `succeeded`: until
   * it ended with exit 0 (`exited`). A list entry naming a task is `succeeded`.
   */
  condition: 'running' | 'started' | 'completed' | 'succeeded';
}

/** A whole config file, validated. */
export interface WardenConfig {
  /** Absolute path of the file it was read from. */
  path: string;
  /** Services in file order. */
  services: ServiceSpec[];
  /** `control`: a group whose members may use the control socket too; absent: none. */
  control?: ControlAccess;
  /** A Procfile read with a port base (`up --port-base`): kept so that `reload` uses it again. */
  portBase?: number;
  /** `http`: the daemon's HTTP server (docs/config/http.md); absent: off. */
  http?: HttpSpec;
  /**
   * `shutdown_timeout`: the longest a stop of everything may take (ms); what still runs then
   * gets SIGKILL (docs/config/shutdown_timeout.md). Absent: each instance's `stop_timeout` only.
   */
  shutdownTimeoutMs?: number;
}

/** `http`, checked (docs/config/http.md). */
export interface HttpSpec {
  /** The IP address to listen on (`127.0.0.1`, `::1`, `0.0.0.0`...). */
  host: string;
  /** 1..65535. */
  port: number;
  /** Absolute path of the file holding the bearer token; null: no token (loopback only). */
  tokenFile: string | null;
  /** `token`: reads need the token too; `open`: anyone who reaches the (loopback) address reads. */
  read: 'token' | 'open';
  /** Host header names accepted besides the listen address, lower case, no trailing dot. */
  hosts: string[];
}

/** `control.group`, resolved (docs/config/control.md). */
export interface ControlAccess {
  /** The group's name, as the group database has it. */
  group: string;
  gid: number;
}

/** One problem found in a config file, with where it is. */
export interface ConfigIssue {
  /** Absolute path of the file. */
  file: string;
  /** 1-based line and column; undefined when the problem has no place (e.g. unreadable file). */
  line?: number;
  column?: number;
  /** Key path such as `services.web.backoff.initial`; empty for the whole document. */
  path: string;
  /** What is wrong and, where it helps, what to do. */
  message: string;
}
