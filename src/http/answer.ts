// JSON answers of the REST API (docs/http-api.md "Errors"): a result as it is, an error as
// `{"error": {"code", "message", "details"}}` with the control protocol's code and the HTTP
// status that code means, so a script can branch on either.
import type { ServerResponse } from 'node:http';
import type { ErrorBody, ErrorCode } from '../ipc/protocol.js';

/**
 * The codes of an error answer: the control protocol's (ipc/protocol.ts), and those of refusals
 * made before any method runs (Host, origin, token, route).
 */
export type HttpErrorCode =
  ErrorCode | 'UNAUTHORIZED' | 'MISDIRECTED' | 'CROSS_ORIGIN' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED';

/** The HTTP status of each protocol code (RFC 9110 section 15). */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  INVALID_PARAMS: 400,
  UNKNOWN_METHOD: 404,
  UNKNOWN_SERVICE: 404,
  PERMISSION_DENIED: 403,
  CONFIG_ERROR: 422,
  CONFIG_MISMATCH: 409,
  NOT_RUNNING: 409,
  ROLLING_RESTART_FAILED: 409,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

/** Answers `status` with `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers an error: `status`, and `{"error": {code, message, details?}}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: HttpErrorCode,
  message: string,
  details?: unknown,
): void {
  sendJson(res, status, {
    error: { code, message, ...(details === undefined ? {} : { details }) },
  });
}

/** Answers a method's error with the HTTP status of its code. */
export function sendErrorBody(res: ServerResponse, error: ErrorBody): void {
  sendError(res, STATUS_OF[error.code], error.code, error.message, error.details);
}
