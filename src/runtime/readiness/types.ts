// The contract between a runner and the readiness source of its instance (config `ready`).
import type { SpawnFailure } from '../../core/exit.js';
import type { Stream } from '../../logs/log-file.js';

/** What a readiness source reports to its runner. */
export interface ReadinessHooks {
  /** The instance is ready; `source` names the check (`notify`, `fd`, `tcp`, `http`, `exec`, `log`). */
  ready(source: string): void;
  /** sd_notify `STATUS=` text, shown in `warden status`. */
  status(text: string): void;
  /** Why a polled check has not passed yet (`tcp 127.0.0.1:3000: ECONNREFUSED`), for `warden status`. */
  waiting(why: string): void;
  /** sd_notify `WATCHDOG=1`. */
  watchdog(): void;
  /** Something for the daemon log (a message refused, a probe error). */
  log(message: string): void;
}

/** What a readiness source adds to the spawn of its instance. */
export interface SpawnExtras {
  /** Variables for the instance (NOTIFY_SOCKET, NOTIFICATION_FD, WATCHDOG_USEC...). */
  env: Record<string, string>;
  /** File descriptors the instance gets beyond 0-2, as pipes it writes to (fd N of `ready.fd`). */
  pipes: number[];
  /** What the source could not give, so the instance must not start (its notify socket). */
  failure?: SpawnFailure;
}

/** What a probe sees of a spawned main process: its pid, and its pipes by fd (`ready.fd`). */
export interface StartedProcess {
  readonly pid: number;
  readonly stdio: readonly unknown[];
}

/** The readiness source of one instance, across its restarts. */
export interface ReadinessProbe {
  /** Before each spawn: what the instance must be given. */
  extras(): SpawnExtras;
  /**
   * After a spawn: the main process and its extra pipes (child.stdio[N]) are there. undefined:
   * a process adopted from an earlier daemon, whose extra pipes went with that daemon.
   */
  started(child: StartedProcess | undefined): void;
  /** Every output line of the instance, in order per stream (for `ready.log`). */
  line(stream: Stream, text: string): void;
  /** The instance is no longer starting or running: stop polling, drop what it holds. */
  stop(): void;
  /** The daemon is closing: free everything. */
  close(): void;
  /**
   * Handles now the messages that reached the daemon but were not handled yet (sd_notify
   * datagrams queued while its event loop was busy or stopped): before a watchdog deadline is
   * judged. Sources without a queue have none.
   */
  drain?(): void;
}
