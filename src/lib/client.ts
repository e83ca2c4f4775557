// A typed client of a running warden daemon: every method of the control protocol
// (docs/protocol.md), typed by its map in src/ipc/protocol.ts.
import { resolve } from 'node:path';
import { WardenError } from '../core/warden-error.js';
import { checkHome } from '../effects/files/home-trust.js';
import { resolveHome } from '../home/paths.js';
import { connectControl, type ControlClient } from '../ipc/client.js';
import {
  PROTOCOL_VERSION,
  type Hello,
  type ResultOf,
  type StateEvent,
  type StoppedInstance,
} from '../ipc/protocol.js';
import { openEventStream, type EventStream, type WardenEvent } from './client-events.js';

/** Which daemon to talk to. */
export interface ConnectOptions {
  /**
   * The daemon's home directory, as `--home`; default as the CLI: `$WARDEN_HOME`, else for root
   * `/var/lib/warden`, else `$XDG_STATE_HOME/warden`, else `~/.local/state/warden`.
   */
  home?: string;
  /** The control socket's path, instead of `home` (`<home>/warden.sock`). */
  socket?: string;
}

/** What `hello` told about the daemon: its pid, warden's version, the protocol's version. */
export type DaemonInfo = Hello;

/**
 * A connection to a warden daemon. Services are named as on the command line: a service
 * (`web`, all its instances), an instance (`web:1`), or `all`; an empty list means every one.
 * Methods reject with {@link RemoteError} (`code`: `UNKNOWN_SERVICE`, `SHUTTING_DOWN`...) when
 * the daemon refuses, or with a socket error when the connection is lost.
 */
export interface WardenClient {
  readonly daemon: DaemonInfo;
  /** `warden status --json`: the daemon and every instance named (README "Status JSON"). */
  status(services?: readonly string[]): Promise<ResultOf<'status'>>;
  /**
   * `warden up`: applies the config file at `config` (read by the daemon; relative to the
   * current directory) and starts the services named, or all. It does not start a daemon.
   * @returns the plan applied, the instances started and warnings
   * @throws RemoteError CONFIG_ERROR (every issue in `details`), CONFIG_MISMATCH (the daemon
   * runs another file), UNKNOWN_SERVICE, SHUTTING_DOWN
   */
  up(config: string, services?: readonly string[]): Promise<ResultOf<'up'>>;
  /**
   * `warden reload`: re-reads the daemon's config file and applies the difference, or with
   * `dryRun` only returns it. An invalid file changes nothing. @throws RemoteError CONFIG_ERROR
   */
  reload(options?: { dryRun?: boolean }): Promise<ResultOf<'reload'>>;
  /** Starts the instances named. @returns the names of those started (not running before) */
  start(services: readonly string[]): Promise<ResultOf<'start'>>;
  /** Stops the instances named; resolves once each is stopped (after `stop_timeout` at worst). */
  stop(services: readonly string[]): Promise<ResultOf<'stop'>>;
  /**
   * Restarts the instances named; `rolling`: one at a time while an extra instance serves (one
   * service). @returns their names @throws RemoteError ROLLING_RESTART_FAILED naming the
   * instance that did not reach `running`
   */
  restart(
    services: readonly string[],
    options?: { rolling?: boolean },
  ): Promise<ResultOf<'restart'>>;
  /**
   * Sends `signal` (`SIGHUP`, `HUP` or a number) to the process tree of each running instance
   * named. @returns the signal's name and the instances that got it
   * @throws RemoteError INVALID_PARAMS for an unknown signal
   */
  signal(signal: string | number, services: readonly string[]): Promise<ResultOf<'signal'>>;
  /**
   * Resolves once every instance named is `running`; `timeoutMs` (default 60000) bounds the
   * wait. @throws RemoteError NOT_RUNNING when one failed, exited, stopped or timed out
   * (`details`: their statuses)
   */
  wait(services: readonly string[], options?: { timeoutMs?: number }): Promise<ResultOf<'wait'>>;
  /** `warden ps`: the processes of each instance's tree (pid, ppid, command, RSS in bytes). */
  ps(services?: readonly string[]): Promise<ResultOf<'ps'>>;
  /** `warden logs --reopen`: closes and reopens every log file. @returns their paths */
  reopenLogs(): Promise<ResultOf<'logs-reopen'>>;
  /**
   * `warden down`: stops every service, then the daemon exits (with `keepServices`, only the
   * daemon exits; the next one takes the services back). Resolves before the daemon's exit.
   * @returns how many instances were stopped, or kept running
   */
  down(options?: { keepServices?: boolean }): Promise<ResultOf<'down'>>;
  /**
   * State changes of the instances named, as they happen (`warden events`), on a connection of
   * their own, subscribed at once (await `subscribed` before acting). Ends when the daemon goes
   * away; leave the loop (`break`) or `close()` it to unsubscribe.
   */
  events(services?: readonly string[]): EventStream;
  /** Closes the connection (event streams close on their own). */
  close(): void;
}

/** The daemon speaks another protocol version than this client. */
export class ProtocolMismatchError extends WardenError<'PROTOCOL_MISMATCH'> {
  constructor(readonly daemonProtocol: number) {
    super(
      'PROTOCOL_MISMATCH',
      `the daemon speaks protocol ${daemonProtocol}, this client ${PROTOCOL_VERSION}`,
    );
    this.name = 'ProtocolMismatchError';
  }
}

/**
 * Connects to a running warden daemon and checks its protocol version (`hello`).
 * The home must be ours or root's and out of other users' reach, the socket and the process
 * behind it ours or root's (docs/security.md).
 * @throws NoDaemonError (`code` `NO_DAEMON`) when no daemon listens there; UntrustedError
 * (`code` `UNTRUSTED`) for a home, socket or daemon another user controls;
 * ProtocolMismatchError; socket errors (`code` `EACCES` for another user's daemon)
 */
export async function connect(options: ConnectOptions = {}): Promise<WardenClient> {
  let socket = options.socket;
  if (socket === undefined) {
    const home = resolveHome(options.home);
    checkHome(home.home, home.logDir, [process.getuid?.() ?? 0, 0]);
    socket = home.socket;
  }
  const control = await connectControl(socket);
  let daemon: DaemonInfo;
  try {
    daemon = await control.call('hello', {});
  } catch (error) {
    control.close();
    throw error;
  }
  if (daemon.protocol !== PROTOCOL_VERSION) {
    control.close();
    throw new ProtocolMismatchError(daemon.protocol);
  }
  return makeClient(control, socket, daemon);
}

function makeClient(control: ControlClient, socket: string, daemon: DaemonInfo): WardenClient {
  const targets = (services: readonly string[] = []): { targets: string[] } => ({
    targets: [...services],
  });
  return {
    daemon,
    status: (services) => control.call('status', targets(services)),
    up: (config, services) => control.call('up', { ...targets(services), config: resolve(config) }),
    reload: (options = {}) => control.call('reload', { dryRun: options.dryRun === true }),
    start: (services) => control.call('start', targets(services)),
    stop: (services) => control.call('stop', targets(services)),
    restart: (services, options = {}) =>
      control.call('restart', { ...targets(services), rolling: options.rolling === true }),
    signal: (signal, services) => control.call('signal', { ...targets(services), signal }),
    wait: (services, options = {}) =>
      control.call('wait', { ...targets(services), timeoutMs: options.timeoutMs }),
    ps: (services) => control.call('ps', targets(services)),
    reopenLogs: () => control.call('logs-reopen', {}),
    down: (options = {}) => control.call('down', { keepServices: options.keepServices === true }),
    events: (services) => openEventStream(socket, [...(services ?? [])]),
    close: () => control.close(),
  };
}

export type { EventStream, StateEvent, StoppedInstance, WardenEvent };
