// The validated, typed form of warden.yaml: what the rest of warden reads, never the raw YAML.
import type { SignalName } from '../core/signals.js';

/** How a service's program is started. */
export type Command =
  /** A string command: run as `/bin/sh -c script`. */
  | { kind: 'shell'; script: string }
  /** An array command: `argv[0]` is exec'd directly (looked up in PATH), no shell. */
  | { kind: 'argv'; argv: [string, ...string[]] };

/** Restart policy with systemd's meanings (systemd.service(5), `Restart=`). */
export type RestartPolicy = 'always' | 'on-failure' | 'never';

/** Backoff between automatic restarts; all in milliseconds. */
export interface BackoffSpec {
  /** Delay before the first automatic restart (ms). Default 100. */
  initialMs: number;
  /** Upper bound of the delay, which doubles after each failure (ms). Default 30000. */
  maxMs: number;
  /** Continuous `running` time after which the delay and counters reset (ms). Default 10000. */
  resetAfterMs: number;
}

/** More than `burst` failed starts within `intervalMs` puts the instance in `failed`. */
export interface StartLimitSpec {
  /** Failed starts tolerated within the interval. Default 5. */
  burst: number;
  /** Sliding window (ms). Default 60000. */
  intervalMs: number;
}

/** One service of the config, with every default applied and every path absolute. */
export interface ServiceSpec {
  /** The key under `services:`; matches /^[A-Za-z0-9_.-]+$/ (used in file names). */
  name: string;
  command: Command;
  /** Absolute working directory (relative paths in the file resolve against its directory). */
  cwd: string;
  /** Variables from `env_file` (if any) overlaid by `env`; the daemon's own env is added at spawn. */
  env: Record<string, string>;
  /** Number of instances, 1..1000. Default 1. */
  instances: number;
  restart: RestartPolicy;
  backoff: BackoffSpec;
  startLimit: StartLimitSpec;
  /** Time alive after which an instance without readiness check counts as `running` (ms). Default 1000. */
  minUptimeMs: number;
  /** Signal sent to the process group on stop. Default SIGTERM. */
  stopSignal: SignalName;
  /** Time between the stop signal and SIGKILL (ms). Default 10000. */
  stopTimeoutMs: number;
}

/** A whole config file, validated. */
export interface WardenConfig {
  /** Absolute path of the file it was read from. */
  path: string;
  /** Services in file order. */
  services: ServiceSpec[];
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
