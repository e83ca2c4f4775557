// The control protocol (DESIGN.md section 7, docs/protocol.md): one map of its methods, with the
// params a client sends and the result the daemon answers. The daemon's handlers, the CLI and
// the library client are all typed from it.
import type { StateName } from '../core/instance.js';
import type { InstanceStatus, StatusReport, TreeFigures } from '../core/status.js';
import { WardenError } from '../core/warden-error.js';

/** Bumped on any incompatible change; exchanged by `hello`. */
export const PROTOCOL_VERSION = 1;

/** Names services as the command line does: `web`, `web:1`, `all`; none means every one. */
export interface Targets {
  targets?: string[];
}

/** What `hello` tells about the daemon. */
export interface Hello {
  /** The control protocol's version ({@link PROTOCOL_VERSION}). */
  protocol: number;
  /** warden's version. */
  version: string;
  pid: number;
}

/** A change of a service's instance count. */
export interface Rescale {
  service: string;
  from: number;
  to: number;
}

/** What applying a config does or would do (`up`, `reload`); every list in config order. */
export interface ApplyPlan {
  /** New services: created, then started. */
  added: string[];
  /** No longer in the config: their instances are stopped, then forgotten. */
  removed: string[];
  /** Changed in what reaches the process (command, cwd, env...): their live instances restart. */
  changed: string[];
  /** Changed only in what applies live (restart policy, backoff, logs, stop settings...). */
  updated: string[];
  /** Instance count changed: instances are added (and started) or removed (stopped). */
  scaled: Rescale[];
  /** Exactly as before: untouched, same pids. */
  unchanged: string[];
  /** The instances that restart: live and started from another definition. */
  restarted: string[];
}

/** The params of `up`: the config file, and the document the client read there (optional). */
export interface UpParams extends Targets {
  /** The config file's absolute path. */
  config: string;
  /** The document read from `config` and its key order; without it the daemon reads the file. */
  source?: { document: unknown; order: string[]; dirs?: Record<string, string> };
  /** A Procfile's port base (`up --port-base`): `reload` reads the Procfile with it again. */
  portBase?: number;
  /**
   * The variables `${VAR}` of `source` names, as the client's environment has them (null:
   * unset): the daemon warns of each that its own environment, which it takes, has otherwise.
   */
  variables?: Record<string, string | null>;
}

/**
 * What `up` answers: the plan applied and the instances it started; `warnings` (absent from
 * older daemons): what may keep instances from starting, such as an open files limit too low.
 */
export type UpResult = ApplyPlan & { started: string[]; warnings?: string[] };

/** One stopped instance as `stop` reports it: its status, plus pids that outlived SIGKILL. */
export type StoppedInstance = InstanceStatus & { survivors: number[] };

/** One process of an instance's tree, as `ps` reports it. */
export interface PsProcess {
  pid: number;
  ppid: number;
  /** Its command line (`/proc/PID/cmdline`, arguments joined by spaces). */
  command: string;
  rssBytes: number;
  /** CPU time (s): utime + stime + cutime + cstime of /proc/PID/stat (proc(5)). */
  cpuSeconds: number;
}

/** One instance in the answer of `ps`. */
export interface PsInstance {
  instance: string;
  state: StateName;
  /** The main process, when there is one. */
  pid: number | null;
  processes: PsProcess[];
  /** The figures of the whole tree, as `status --json` gives them (`tree`); null without a live process. */
  tree: TreeFigures | null;
  /** The listening sockets its service passes it (config `listen`): fd, name, where bound. */
  sockets: { fd: number; name: string; bound: string }[];
}

/** One state change (or a reason given without one), as `warden events` prints it. */
export interface StateEvent {
  /** ms since the epoch. */
  time: number;
  instance: string;
  service: string;
  from: StateName;
  to: StateName;
  reason: string;
  /** The main process, when the instance has one after the change. */
  pid: number | null;
}

/** An event line of a `subscribe` stream: a change, or how many were dropped for a slow reader. */
export type StreamEvent = StateEvent | { dropped: number };

/** The bounds of `subscribe`'s `figuresMs` (ms): no faster than 4 frames a second, at least one a minute. */
export const FIGURES_MS = { min: 250, max: 60_000 } as const;

/** The params of `subscribe`. */
export interface SubscribeParams extends Targets {
  /**
   * Also send a `{"figures": FiguresFrame}` line every this many ms ({@link FIGURES_MS} bounds),
   * and follow the instances the targets name as they come and go (a reload). Without it the
   * stream carries state events only, of the instances named at the time of the call.
   */
  figuresMs?: number;
}

/** One instance in a figures frame: what `warden top` shows of it (fields as in `status --json`). */
export type InstanceFigures = Pick<
  InstanceStatus,
  'name' | 'service' | 'state' | 'pid' | 'since' | 'restarts' | 'startedAt' | 'tree'
>;

/** The fields of status `s` that a figures frame carries. */
export function figuresOf(s: InstanceStatus): InstanceFigures {
  const { name, service, state, pid, since, restarts, startedAt, tree } = s;
  return { name, service, state, pid, since, restarts, startedAt, tree };
}

/** A `{"figures": ...}` line of a `subscribe` stream with `figuresMs`. */
export interface FiguresFrame {
  /** When the figures were read (ms since the epoch). */
  time: number;
  /** Every instance the subscription names at that moment, in config order. */
  instances: InstanceFigures[];
}

/** Every method: the params a client sends (defaults filled by the daemon) and the result. */
export interface Methods {
  hello: { params: Record<string, never>; result: Hello };
  /** The daemon's proof that it holds the home's key (daemon-proof.ts): the key, hex. */
  prove: { params: Record<string, never>; result: { proof: string } };
  status: { params: Targets; result: StatusReport };
  up: { params: UpParams; result: UpResult };
  /** With `dryRun`, only the plan. */
  reload: { params: { dryRun?: boolean }; result: ApplyPlan };
  /** The instances started (those not running already). */
  start: { params: Targets; result: { instances: string[] } };
  stop: { params: Targets; result: { instances: StoppedInstance[] } };
  /** `rolling`: one instance at a time while an extra one serves (exactly one service). */
  restart: { params: Targets & { rolling?: boolean }; result: { instances: string[] } };
  /** `signal`: a name (`SIGHUP`, `HUP`) or number; answers the name and who got it. */
  signal: {
    params: Targets & { signal: string | number };
    result: { signal: string; instances: string[] };
  };
  /** `timeoutMs` (default 60000) bounds the wait; fails with NOT_RUNNING unless all run. */
  wait: { params: Targets & { timeoutMs?: number }; result: { instances: InstanceStatus[] } };
  ps: { params: Targets; result: PsInstance[] };
  /** The log files reopened. */
  'logs-reopen': { params: Record<string, never>; result: { files: string[] } };
  /**
   * Then `{"event": StreamEvent}` lines on the same connection until it closes; with
   * `figuresMs`, also a `{"figures": FiguresFrame}` line every `figuresMs`.
   */
  subscribe: { params: SubscribeParams; result: { subscribed: string[] } };
  /** `keepServices`: only the daemon exits. How many instances were stopped, or left running. */
  down: { params: { keepServices?: boolean }; result: { stopped: number; kept: number } };
}

/** A method's name. */
export type MethodName = keyof Methods;
/** What a client sends to `M`. */
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
/** What the daemon answers to `M`. */
export type ResultOf<M extends MethodName> = Methods[M]['result'];

/** A request: `{"id":1,"method":"status","params":{}}`. */
export interface Request {
  id: number | string;
  method: string;
  params?: unknown;
}

/** Stable error codes of the protocol; each means one thing. */
export type ErrorCode =
  /** Not JSON, not an object, no id or method, or a line over the size bound. */
  | 'BAD_REQUEST'
  | 'UNKNOWN_METHOD'
  /** The params do not fit the method. */
  | 'INVALID_PARAMS'
  | 'UNKNOWN_SERVICE'
  /** The config file is invalid; `details` holds the issues. */
  | 'CONFIG_ERROR'
  /** The daemon runs another config file than the one given. */
  | 'CONFIG_MISMATCH'
  /** `wait` ended without the instances running (failed, exited, stopped or timed out). */
  | 'NOT_RUNNING'
  /**
   * A rolling restart stopped: an instance (or the extra one) did not reach `running`, or
   * another one of the same service is under way.
   */
  | 'ROLLING_RESTART_FAILED'
  | 'SHUTTING_DOWN'
  /** The peer runs as another user than the daemon (and is not root). */
  | 'PERMISSION_DENIED'
  /** A bug in the daemon; the message says what. */
  | 'INTERNAL';

/** The error member of a failed response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** A response: exactly one of `result` and `error`; `id` is null when the request had none. */
export type Response =
  | { id: number | string | null; result: unknown }
  | { id: number | string | null; error: ErrorBody };

/** An error a method throws to answer with `code` (any other exception is INTERNAL). */
export class ProtocolError extends WardenError<ErrorCode> {
  constructor(
    code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}
