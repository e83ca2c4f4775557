// The daemon's side of the control socket: NDJSON requests in, responses out, one method table.
import { chmodSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { encodeLine, LineReader } from './ndjson.js';
import {
  ProtocolError,
  type ErrorBody,
  type ErrorCode,
  type Request,
  type Response,
} from './protocol.js';

/** A method: takes the request's params, returns the result (or throws ProtocolError). */
export type Method = (params: unknown, peer: Socket) => unknown;

/** The table of methods the socket serves. */
export type MethodTable = Record<string, Method>;

/** A listening control socket. */
export interface ControlServer {
  /** Stops accepting, and ends every open connection once its written answers are flushed. */
  close(): void;
}

/** Unanswered bytes a connection may queue before the daemon stops reading from it. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * Listens on the Unix socket `path` (created 0600: the umask is 077 while binding) and serves
 * `methods` to every peer `authorize` accepts (it returns a refusal message for the others).
 * Requests on one connection run concurrently; each answer carries its request's id. Malformed
 * input gets an error reply and touches nothing else; a client that goes away mid-request only
 * loses its answer; one that does not read its answers is not read from either.
 * @throws the listen error (EADDRINUSE, EACCES, EMFILE...) through the returned promise
 */
export async function listenControl(
  path: string,
  methods: MethodTable,
  onError: (message: string) => void,
  authorize: (socket: Socket) => string | undefined = () => undefined,
): Promise<ControlServer> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const refusal = authorize(socket);
    if (refusal === undefined) return serveConnection(socket, methods, onError);
    onError(`control socket: refused a peer: ${refusal}`);
    socket.end(encodeLine({ id: null, error: { code: 'PERMISSION_DENIED', message: refusal } }));
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

function serveConnection(socket: Socket, methods: MethodTable, onError: (m: string) => void): void {
  const send = (response: Response): void => {
    if (socket.destroyed || !socket.writable) return;
    socket.write(encodeLine(response));
    if (socket.writableLength > MAX_QUEUED_BYTES && !socket.isPaused()) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  };
  const reader = new LineReader(
    (line) => void handleLine(line, methods, socket, send, onError),
    () => {
      send({ id: null, error: { code: 'BAD_REQUEST', message: 'request line too long' } });
      socket.end();
    },
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', () => socket.destroy());
}

async function handleLine(
  line: string,
  methods: MethodTable,
  socket: Socket,
  send: (r: Response) => void,
  onError: (m: string) => void,
): Promise<void> {
  const parsed = parseRequest(line);
  if ('error' in parsed) return send(parsed);
  const { id, method, params } = parsed;
  const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (fn === undefined) {
    return send({ id, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${method}"` } });
  }
  try {
    send({ id, result: (await fn(params ?? {}, socket)) ?? null });
  } catch (error) {
    send({ id, error: toErrorBody(error, onError) });
  }
}

function parseRequest(line: string): Request | (Response & { error: ErrorBody }) {
  let value: unknown;
  try {
    value = JSON.parse(line);
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

const PASSED_CODES: ReadonlySet<string> = new Set([
  'UNKNOWN_SERVICE',
  'SHUTTING_DOWN',
  'NOT_RUNNING',
]);

function toErrorBody(error: unknown, onError: (m: string) => void): ErrorBody {
  if (error instanceof ProtocolError) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details };
  }
  // Runtime errors that carry a protocol code of their own (UnknownServiceError, ShuttingDownError).
  if (error instanceof Error && 'code' in error && PASSED_CODES.has(String(error.code))) {
    return { code: String(error.code) as ErrorCode, message: error.message };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  onError(`internal error: ${message}`);
  return { code: 'INTERNAL', message: `internal error: ${String(error)}` };
}
