// daemonize(): the LSB daemon(nochdir, noclose) contract for a Node program, with the handshake
// that daemon(3) lacks. Node cannot fork, so the program runs itself again, detached; the copy
// knows it is the daemon by a marker variable (see daemonize-parent.ts, daemonize-child.ts).
import { DAEMONIZE_MARKER, runChild, runForeground } from './daemonize-child.js';
import { runParent } from './daemonize-parent.js';

/** What daemonize() does; every field is optional. Paths may be relative to the current dir. */
export interface DaemonizeOptions {
  /** Keep the current directory instead of `chdir('/')` (daemon(3) `nochdir`). Default false. */
  nochdir?: boolean;
  /**
   * Keep fds 0-2 of the caller instead of `/dev/null` (daemon(3) `noclose`). Default false.
   * Note that a daemon holding its caller's stdout keeps `x=$(prog)` waiting until it exits.
   */
  noclose?: boolean;
  /** A file (appended to, created 0640) for the daemon's stdout instead of `/dev/null`. */
  stdout?: string;
  /** A file (appended to, created 0640) for the daemon's stderr instead of `/dev/null`. */
  stderr?: string;
  /** The daemon's file mode creation mask (umask(2)). Default `0o022`. */
  umask?: number;
  /**
   * A pid file to lock with flock(2) for the daemon's whole life and write its pid into: a
   * second instance fails with `ALREADY_RUNNING` naming the holder's pid. Never unlinked: the
   * lock, not the file's existence, says the daemon runs.
   */
  pidFile?: string;
  /** Run as this user (name or uid); needs root. Groups: see `group`. */
  user?: string | number;
  /** Run with this gid (name or number); default the user's primary group. Needs root. */
  group?: string | number;
  /**
   * true (default): the caller exits 0 only once the daemon calls `ready()`. false: it exits 0
   * as soon as the daemon's own start-up steps (fds, cwd, pid file, user) succeeded.
   */
  wait?: boolean;
  /** How long the caller waits for the handshake (ms) before it kills the daemon. Default 60000. */
  timeoutMs?: number;
  /**
   * true: stay in the foreground; false: detach even under a supervisor. Default: stay in the
   * foreground when `NOTIFY_SOCKET`, `NOTIFICATION_FD` or `WARDEN_SERVICE` is set, or the
   * program's arguments include `--foreground`.
   */
  foreground?: boolean;
}

/** The program's side of daemonize(), returned in the daemon (or in the foreground). */
export interface Daemon {
  /**
   * Says start-up is done: the caller of the program exits 0. In the foreground, this is
   * {@link notifyReady}`(status)` to the supervisor. Later calls do nothing.
   * @throws NotifyError in the foreground when the supervisor named cannot be reached
   */
  ready(status?: string): void;
  /**
   * Reports that start-up failed and exits with code 1: the caller prints `error`'s message
   * and exits 1 (in the foreground, the message goes to stderr).
   */
  fail(error: unknown): never;
  /** True when the program did not detach (under a supervisor or `foreground: true`). */
  readonly isForeground: boolean;
}

/**
 * Makes this program a daemon (daemon(3), with the rules of APUE ch. 13). Call it near the
 * top of the program, before opening files, sockets or timers:
 *
 * - In the caller: runs `process.execPath` with the same exec and script arguments again,
 *   detached (new session, no controlling terminal), fds 0-2 on `/dev/null` (or the `stdout`
 *   and `stderr` files, or the caller's with `noclose`) and a handshake pipe; then waits and
 *   exits: 0 once the daemon called `ready()` (or finished its own steps, with `wait: false`),
 *   else 1 after printing the daemon's error to stderr, once no process of it is left. The
 *   promise never settles in the caller unless it rejects.
 * - In the daemon (the re-run copy): closes every inherited fd above 2, sets the umask (default
 *   `0o022`), `chdir('/')` unless `nochdir`, locks `pidFile`, drops to `group`/`user`, and
 *   resolves with `{ready, fail}`. SIGHUP is left alone, for the program to use for reload.
 *   An uncaught exception before `ready()` is reported to the caller as the error.
 * - Under a supervisor (see `foreground`): nothing detaches; only `pidFile` and `user`/`group`
 *   apply, and `ready()` is {@link notifyReady}.
 *
 * @throws DaemonizeError (rejects) in the caller, before anything is spawned, when a step of its
 * own fails: `code` is the errno name (`EMFILE` with no fd left, `ENOENT`/`EACCES` for the pid
 * file or an output file) or `ALREADY_RUNNING` (with `holder`, the pid holding `pidFile`). A
 * failed daemonize() leaves no child behind. In the foreground, the same errors are thrown.
 */
export async function daemonize(options: DaemonizeOptions = {}): Promise<Daemon> {
  const marker = process.env[DAEMONIZE_MARKER];
  if (marker !== undefined) return runChild(options, Number(marker));
  if (isForeground(options)) return runForeground(options);
  return runParent(options);
}

function isForeground(options: DaemonizeOptions): boolean {
  if (options.foreground !== undefined) return options.foreground;
  const env = process.env;
  return (
    env.NOTIFY_SOCKET !== undefined ||
    env.NOTIFICATION_FD !== undefined ||
    env.WARDEN_SERVICE !== undefined ||
    process.argv.slice(2).includes('--foreground')
  );
}
