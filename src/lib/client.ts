// A typed client of a running warden daemon: the CLI's control protocol (docs/protocol.md).
import type { InstanceStatus, StatusReport } from '../core/status.js';
import type { StateEvent } from '../daemon/events.js';
import { resolveHome } from '../daemon/home.js';
import { checkHome } from '../effects/files/home-trust.js';
import { connectControl, type ControlClient } from '../ipc/client.js';
import { PROTOCOL_VERSION } from '../ipc/protocol.js';
import { openEventStream, type EventStream, type WardenEvent } from './client-events.js';

/** Which daemon to talk to. */
export interface ConnectOptions {
  /**
   * The daemon's home directory, as `--home`; default as the CLI: `$WARDEN_HOME`, else
   * `$XDG_STATE_HOME/warden`, else `~/.local/state/warden`.
   */
  home?: string;
  /** The control socket's path, instead of `home` (`<home>/warden.sock`). */
  socket?: string;
}

/** What `hello` told about the daemon. */
export interface DaemonInfo {
  pid: number;
  /** warden's version. */
  version: string;
  /** The control protocol's version (this client speaks {@link PROTOCOL_VERSION}). */
  protocol: number;
}

/** One stopped instance as `stop()` reports it: its status, plus pids that outlived SIGKILL. */
export type StoppedInstance = InstanceStatus & { survivors: number[] };

/**
 * A connection to a warden daemon. Services are named as on the command line: a service
 * (`web`, all its instances), an instance (`web:1`), or `all`; an empty list means every one.
 * Methods reject with {@link RemoteError} (`code`: `UNKNOWN_SERVICE`, `SHUTTING_DOWN`...) when
 * the daemon refuses, or with a socket error when the connection is lost.
 */
export interface WardenClient {
  readonly daemon: DaemonInfo;
  /** `warden status --json`: the daemon and every instance named (README "Status JSON"). */
  status(services?: readonly string[]): Promise<StatusReport>;
  /** Starts the instances named. @returns their names */
  start(services: readonly string[]): Promise<{ instances: string[] }>;
  /** Stops the instances named; resolves once each is stopped (after `stop_timeout` at worst). */
  stop(services: readonly string[]): Promise<{ instances: StoppedInstance[] }>;
  /** Restarts the instances named. @returns their names */
  restart(services: readonly string[]): Promise<{ instances: string[] }>;
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
export class ProtocolMismatchError extends Error {
  readonly code = 'PROTOCOL_MISMATCH';
  constructor(readonly daemonProtocol: number) {
    super(`the daemon speaks protocol ${daemonProtocol}, this client ${PROTOCOL_VERSION}`);
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
    daemon = await control.call<DaemonInfo>('hello');
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
    status: (services) => control.call<StatusReport>('status', targets(services)),
    start: (services) => control.call('start', targets(services)),
    stop: (services) => control.call('stop', targets(services)),
    restart: (services) => control.call('restart', targets(services)),
    events: (services) => openEventStream(socket, [...(services ?? [])]),
    close: () => control.close(),
  };
}

export type { EventStream, StateEvent, WardenEvent };
