// The package's entry (`import ... from 'warden'`): daemonize, readiness notification and a
// typed client of the daemon. docs/library.md is the guide.
export { daemonize, type Daemon, type DaemonizeOptions } from './daemonize.js';
export { DaemonizeError } from './errors.js';
export { listenFds, type ListenFd } from './listen-fds.js';
export {
  notifyReady,
  notifyStatus,
  notifyStopping,
  notifyWatchdog,
  NotifyError,
} from './notify.js';
export {
  connect,
  ProtocolMismatchError,
  type ConnectOptions,
  type DaemonInfo,
  type StoppedInstance,
  type WardenClient,
} from './client.js';
export type { EventStream, StateEvent, WardenEvent } from './client.js';
export { WardenError } from '../core/warden-error.js';
export { NoDaemonError, RemoteError } from '../ipc/client.js';
export type {
  ApplyPlan,
  ErrorCode,
  Hello,
  Methods,
  PsInstance,
  PsProcess,
  Rescale,
  ResultOf,
  ParamsOf,
  MethodName,
  UpResult,
} from '../ipc/protocol.js';
export { UntrustedError } from '../effects/files/home-trust.js';
export type {
  InstanceStatus,
  StatusReport,
  DaemonStatus,
  ListenStatus,
  LogHealth,
} from '../core/status.js';
export type { StateName } from '../core/instance.js';
