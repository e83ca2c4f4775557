// The control protocol's message shapes (DESIGN.md section 7; README "Control protocol").

/** Bumped on any incompatible change; exchanged by `hello`. */
export const PROTOCOL_VERSION = 1;

/** A request: `{"id":1,"method":"status","params":{}}`. */
export interface Request {
  id: number | string;
  method: string;
  params?: unknown;
}

/** Stable error codes of the protocol. */
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
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
