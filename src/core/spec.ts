// The parts of a service's definition that the state machine reads: restart policy, backoff,
// start limit, readiness, stop. src/config produces them from the file (config/types.ts).
import type { SignalName } from './signals.js';

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

/** A readiness source (DESIGN.md section 2). */
export type ReadyCheck =
  /** sd_notify: `READY=1` on the datagram socket named by `$NOTIFY_SOCKET` (sd_notify(3)). */
  | { kind: 'notify' }
  /** s6 style: a newline written to fd `fd` (s6-supervise(8), notification-fd). */
  | { kind: 'fd'; fd: number }
  /** A TCP connect to `host:port` succeeds. */
  | { kind: 'tcp'; host: string; port: number }
  /** A GET of `url` answers 2xx or 3xx. */
  | { kind: 'http'; url: string }
  /** A command exits 0 (run by /bin/sh -c for a string, exec'd for an array). */
  | { kind: 'exec'; command: Command }
  /** A stdout or stderr line matches the regular expression `pattern`. */
  | { kind: 'log'; pattern: string };

/** `ready`: the source, how long to wait for it, and how often to poll the polled ones. */
export interface ReadySpec {
  check: ReadyCheck;
  /** Not ready within this long: the start counts as failed (ms). Default 60000. */
  timeoutMs: number;
  /** Poll interval of tcp, http and exec checks (ms). Default 250. */
  intervalMs: number;
}

/** The probe kinds a `health` check can use: those of `ready` that ask the service from outside. */
export type HealthCheck = Extract<ReadyCheck, { kind: 'tcp' | 'http' | 'exec' }>;

/** `health`: a liveness probe after `running` (docs/config/health.md); all times in ms. */
export interface HealthSpec {
  check: HealthCheck;
  /** Time from the end of one probe to the start of the next (ms). Default 10000. */
  intervalMs: number;
  /** A probe not passed within this long has failed; an exec probe's group is killed (ms). Default 5000. */
  timeoutMs: number;
  /** Consecutive failed probes that restart the instance. Default 3. */
  failures: number;
  /** Failed probes in this time after `running` do not count (Docker's --start-period; ms). Default 0. */
  startPeriodMs: number;
}

/**
 * `kind`: a `service` is meant to run until stopped; a `task` runs to its end, where exit 0 is
 * success (`exited`, shown as done) and anything else a failure (docs/config/kind.md).
 */
export type ServiceKind = 'service' | 'task';

/**
 * `on_exit`: what an instance's end does beyond the instance. `continue`: nothing, the restart
 * policy applies; `shutdown`: it is never restarted, and its end stops everything
 * (docs/config/on_exit.md).
 */
export type OnExit = 'continue' | 'shutdown';

/** The parts of a service's spec that drive its instances' state machine. */
export interface InstancePolicy {
  kind: ServiceKind;
  onExit: OnExit;
  restart: RestartPolicy;
  backoff: BackoffSpec;
  startLimit: StartLimitSpec;
  /** Time alive after which an instance without readiness check counts as `running` (ms). */
  minUptimeMs: number;
  /** Signal sent to every process of the tree on stop. */
  stopSignal: SignalName;
  /** Time between the stop signal and SIGKILL (ms). */
  stopTimeoutMs: number;
  /** How an instance tells it can serve; null: it is running after `minUptimeMs`. */
  ready: ReadySpec | null;
  /** An instance silent for this long (no `WATCHDOG=1`) is killed (ms); null: off. */
  watchdogMs: number | null;
  /** `runtime_max`: an instance `running` for this long is restarted, no failure (ms); null: off. */
  runtimeMaxMs: number | null;
  /** `health`: probes in `running`; failures past the threshold restart the instance; null: off. */
  health: HealthSpec | null;
}
