// The daemon's side of the control socket: NDJSON requests in, responses out, one method table.
import { chmodSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { Connection, ConnectionPool } from './connection.js';
import { encodeLine, isTooDeep, MAX_DEPTH } from './ndjson.js';
import {
  ProtocolError,
  type ErrorBody,
  type MethodName,
  type Request,
  type Response,
  type ResultOf,
} from './protocol.js';

/**
 * The handler of method `M`: takes the request's params as they came (it checks them), returns
 * the result the protocol map declares, or throws ProtocolError to answer with its code.
 */
export type Handler<M extends MethodName> = (
  params: unknown,
  peer: Socket,
) => ResultOf<M> | Promise<ResultOf<M>>;

/** The table of methods the socket serves: a handler for every method of the protocol map. */
export type MethodTable = { [M in MethodName]: Handler<M> };

/** A listening control socket. */
export interface ControlServer {
  /** Stops accepting, and ends every open connection once its written answers are flushed. */
  close(): void;
}

/**
 * Listens on the Unix socket `path` (created 0600: the umask is 077 while binding) and serves
 * `methods` to every peer `authorize` accepts (it returns a refusal message for the others).
 * Requests on one connection run concurrently (a bounded number: connection.ts); each answer
 * carries its request's id. Malformed input gets an error reply and touches nothing else; a
 * client that goes away mid-request only loses its answer; one that does not read its answers is
 * not read from either, and is disconnected when the daemon cannot afford what it holds.
 * @throws the listen error (EADDRINUSE, EACCES, EMFILE...) through the returned promise
 */
export async function listenControl(
  path: string,
  methods: MethodTable,
  onError: (message: string) => void,
  authorize: (socket: Socket) => string | undefined = () => undefined,
): Promise<ControlServer> {
  const open = new Set<Socket>();
  const pool = new ConnectionPool();
  const handle = (line: Buffer, socket: Socket): Promise<Response> =>
    handleLine(line, methods, socket, onError);
  // Half-open: a client may send its requests, end its side, and still read every answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const refusal = authorize(socket);
    if (refusal === undefined) return void new Connection(socket, handle, pool, onError);
    onError(`control socket: refused a peer: ${refusal}`);
    const answer: Response = { id: null, error: { code: 'PERMISSION_DENIED', message: refusal } };
    socket.end(encodeLine(answer));
  });
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  server.on('error', (error) => onError(`control socket: ${error.message}`));
  return {
    close() {
      server.close();
      for (const socket of open) socket.end();
    },
  };
}

async function handleLine(
  line: Buffer,
  methods: MethodTable,
  socket: Socket,
  onError: (m: string) => void,
): Promise<Response> {
  const parsed = parseRequest(line);
  if ('error' in parsed) return parsed;
  const { id, method, params } = parsed;
  const fn = Object.hasOwn(methods, method) ? methods[method as MethodName] : undefined;
  if (fn === undefined) {
    return { id, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${method}"` } };
  }
  try {
    return { id, result: (await fn(params ?? {}, socket)) ?? null };
  } catch (error) {
    return { id, error: toErrorBody(error, onError) };
  }
}

function parseRequest(line: Buffer): Request | (Response & { error: ErrorBody }) {
  // Refused before JSON.parse builds it: a deep line costs memory the daemon keeps.
  if (isTooDeep(line)) {
    const message = `request nests deeper than ${MAX_DEPTH} levels`;
    return { id: null, error: { code: 'BAD_REQUEST', message } };
  }
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return { id: null, error: { code: 'BAD_REQUEST', message: 'request is not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { id: null, error: { code: 'BAD_REQUEST', message: 'request must be a JSON object' } };
  }
  const r = value as Record<string, unknown>;
  const id = typeof r.id === 'number' || typeof r.id === 'string' ? r.id : null;
  if (id === null || typeof r.method !== 'string') {
    const message = 'request needs "id" (number or string) and "method" (string)';
    return { id, error: { code: 'BAD_REQUEST', message } };
  }
  return { id, method: r.method, params: r.params };
}

/**
 * What a method threw, as the error member of an answer: a ProtocolError with its code and
 * details; anything else is a bug, answered INTERNAL and reported to `onError` with its stack.
 */
export function toErrorBody(error: unknown, onError: (m: string) => void): ErrorBody {
  if (error instanceof ProtocolError) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  onError(`internal error: ${message}`);
  return { code: 'INTERNAL', message: `internal error: ${String(error)}` };
}
