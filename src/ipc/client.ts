// The client side of the control socket, used by the CLI and the library.
import { connect as netConnect, type Socket } from 'node:net';
import { encodeLine, LineReader } from './ndjson.js';
import type { ErrorBody, Response } from './protocol.js';
import { distrustDaemon } from './trust-daemon.js';

/** No daemon answers on the socket (ENOENT or ECONNREFUSED). */
export class NoDaemonError extends Error {
  readonly code = 'NO_DAEMON';
  constructor(
    readonly socketPath: string,
    readonly errno: string,
  ) {
    super(`no warden daemon is running for ${socketPath} (${errno}); start one with "warden up"`);
    this.name = 'NoDaemonError';
  }
}

/** The daemon answered a request with an error. */
export class RemoteError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'RemoteError';
    this.code = body.code;
    this.details = body.details;
  }
}

/** A connection to a daemon. */
export interface ControlClient {
  /** Sends one request and resolves with its result. @throws RemoteError, or a socket error */
  call<T = unknown>(method: string, params?: unknown): Promise<T>;
  close(): void;
  /** Calls `fn` once the connection is closed (by either side). */
  onClose(fn: () => void): void;
}

/**
 * Connects to the daemon's control socket at `socketPath`. `onEvent` receives the events of a
 * `subscribe` stream on this connection (`{"event": ...}` lines, docs/protocol.md).
 * @throws NoDaemonError when nothing listens there; UntrustedError (`code` `UNTRUSTED`) when the
 * socket or the process behind it belongs to another user (docs/security.md); other socket
 * errors as they are
 */
export async function connectControl(
  socketPath: string,
  options: { onEvent?: (event: unknown) => void } = {},
): Promise<ControlClient> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect(socketPath);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (code === 'ENOENT' || code === 'ECONNREFUSED')
        return reject(new NoDaemonError(socketPath, code));
      const hint =
        code === 'EACCES' ? ' (the daemon belongs to another user; use your own --home)' : '';
      reject(Object.assign(new Error(`cannot connect to ${socketPath}: ${code}${hint}`), { code }));
    });
  });
  // Nothing is sent, and nothing it says believed, before we know who answers.
  const distrust = await distrustDaemon(socket, socketPath);
  if (distrust !== undefined) {
    socket.destroy();
    throw distrust;
  }
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const reader = new LineReader(
    (line) => {
      const message = JSON.parse(line) as Response | { event: unknown };
      // A line of a `subscribe` stream.
      if ('event' in message) return options.onEvent?.(message.event);
      const response = message;
      // An error that answers no request in particular (a refused peer, a line too long).
      if (response.id === null && 'error' in response)
        return failAll(new RemoteError(response.error));
      const p = typeof response.id === 'number' ? pending.get(response.id) : undefined;
      if (p === undefined) return;
      pending.delete(response.id as number);
      if ('error' in response) p.reject(new RemoteError(response.error));
      else p.resolve(response.result);
    },
    () => failAll(new Error('daemon answer too long')),
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', failAll);
  socket.on('close', () => failAll(new Error('the daemon closed the connection')));
  return {
    call<T>(method: string, params: unknown = {}): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        socket.write(encodeLine({ id, method, params }));
      });
    },
    close: () => socket.end(),
    onClose: (fn) => void socket.once('close', fn),
  };
}
