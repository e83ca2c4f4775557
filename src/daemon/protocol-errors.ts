// The runtime's refusals as the protocol's error codes: each error class maps to one code here,
// so a code on the wire always means one thing (docs/protocol.md "Errors").
import { ProtocolError } from '../ipc/protocol.js';
import type { MethodName } from '../ipc/protocol.js';
import type { Handler, MethodTable } from '../ipc/server.js';
import { RollingRestartError } from '../runtime/rolling-restart.js';
import {
  ListenError,
  ShuttingDownError,
  UnknownServiceError,
} from '../runtime/supervisor/errors.js';

/** `error` as the ProtocolError it answers with, or as it is (then the answer is INTERNAL). */
export function toProtocolError(error: unknown): unknown {
  if (error instanceof UnknownServiceError)
    return new ProtocolError('UNKNOWN_SERVICE', error.message, undefined, { cause: error });
  if (error instanceof ShuttingDownError)
    return new ProtocolError('SHUTTING_DOWN', error.message, undefined, { cause: error });
  if (error instanceof ListenError)
    return new ProtocolError('CONFIG_ERROR', error.message, [error.message], { cause: error });
  if (error instanceof RollingRestartError)
    return new ProtocolError('ROLLING_RESTART_FAILED', error.message, undefined, { cause: error });
  return error;
}

// `handler`, rethrowing what it throws (synchronously or not) through toProtocolError.
function mapErrors<M extends MethodName>(handler: Handler<M>): Handler<M> {
  return (params, peer) => {
    try {
      const result = handler(params, peer);
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            throw toProtocolError(error);
          })
        : result;
    } catch (error) {
      throw toProtocolError(error);
    }
  };
}

/** `table` with every handler's errors mapped by toProtocolError. */
export function answerWithCodes(table: MethodTable): MethodTable {
  const mapped: Partial<Record<MethodName, unknown>> = {};
  for (const name of Object.keys(table) as MethodName[]) mapped[name] = mapErrors(table[name]);
  return mapped as MethodTable;
}
