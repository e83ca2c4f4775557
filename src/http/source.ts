// What the HTTP server reads of the daemon, as the daemon hands it over: no import of the
// daemon or the runtime, so this folder stays a leaf that only the daemon loads (dynamically).
import type { InstanceModel } from '../core/instance.js';
import type { InstanceStatus } from '../core/status.js';
import type { MethodName, ParamsOf, ResultOf, StateEvent } from '../ipc/protocol.js';

/** The control-protocol methods the dashboard's buttons call. */
export type ActionMethod = Extract<MethodName, 'start' | 'stop' | 'restart'>;

/** One instance as the daemon's runner shows it. */
export interface ObservedInstance {
  /** `web`, or `web:0` when the service has several. */
  readonly name: string;
  /** Its model: state, automatic restarts since the last user start, last exit. */
  readonly model: InstanceModel;
  /** Its `status --json` entry (start time, process tree). */
  status(): InstanceStatus;
}

/** Lines a service's log received and lost since the daemon opened it. */
export interface ServiceLogCounts {
  service: string;
  /** Lines captured, by stream (`out`: stdout, `err`: stderr). */
  lines: { out: number; err: number };
  /** Lines lost (write failures, a full queue); each loss is also a marker line in the file. */
  droppedLines: number;
}

/** The daemon as the HTTP server sees it. */
export interface WardenSource {
  /** warden's version. */
  version: string;
  /** Every instance, in config order. */
  instances(): readonly ObservedInstance[];
  /** Calls `fn` on every state change from now on. @returns the unsubscribe function */
  subscribe(fn: (event: StateEvent) => void): () => void;
  /** Every service's log counts, in config order. */
  logCounts(): readonly ServiceLogCounts[];
  /** The directory of the services' log files (`NAME.log`, rotated `NAME.log.1`...). */
  logDir: string;
  /**
   * Runs `method` of the control protocol as the socket would (docs/protocol.md).
   * @throws ProtocolError with the protocol's code (UNKNOWN_SERVICE, INVALID_PARAMS, SHUTTING_DOWN)
   */
  call<M extends ActionMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
}
