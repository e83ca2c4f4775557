// What the HTTP server reads of the daemon, as the daemon hands it over: no import of the
// daemon or the runtime, so this folder stays a leaf that only the daemon loads (dynamically).
import type { InstanceModel } from '../core/instance.js';
import type { InstanceStatus } from '../core/status.js';
import type { Socket } from 'node:net';
import type { METHOD_PARAMS } from '../ipc/method-params.js';
import type { ErrorBody, MethodName, ResultOf, StateEvent } from '../ipc/protocol.js';

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
   * Calls `method` of the daemon's control protocol table, the one warden.sock serves, as the
   * daemon's own user (`peer`: the HTTP connection; `wait` gives up when it closes).
   * @returns its result, or its error as the socket would answer it (a bug: INTERNAL, logged)
   */
  call<M extends MethodName>(method: M, params: unknown, peer: Socket): Promise<Outcome<M>>;
  /**
   * The params schema of every method (ipc/method-params.ts), the daemon's own objects: this
   * folder reads them (`shape`, `toJSONSchema()`) without loading a second zod.
   */
  params: typeof METHOD_PARAMS;
}

/** What a method answered: its result, or its error (code, message, details). */
export type Outcome<M extends MethodName> = { result: ResultOf<M> } | { error: ErrorBody };
