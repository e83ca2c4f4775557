// The client side of the control socket, used by the CLI and the library.
import { connect as netConnect, type Socket } from 'node:net';
import { WardenError } from '../core/warden-error.js';
import { encodeLine, LineReader, MAX_ANSWER_LINE } from './ndjson.js';
import type {
  ErrorBody,
  ErrorCode,
  FiguresFrame,
  MethodName,
  ParamsOf,
  Response,
  ResultOf,
  StreamEvent,
} from './protocol.js';
import { watchSilence } from './silence.js';
import { PROOF_WAIT_MS } from './daemon-proof.js';
import { distrustDaemon } from './trust-daemon.js';

/** No daemon answers on the socket (`errno`: ENOENT or ECONNREFUSED). */
export class NoDaemonError extends WardenError<'NO_DAEMON'> {
  constructor(
    readonly socketPath: string,
    readonly errno: string,
  ) {
    super(
      'NO_DAEMON',
      `no warden daemon is running for ${socketPath} (${errno}); start one with "warden up"`,
    );
    this.name = 'NoDaemonError';
  }
}

/** The daemon answered a request with an error: `code` is the protocol's (docs/protocol.md). */
export class RemoteError extends WardenError<ErrorCode> {
  readonly details: unknown;
  constructor(body: ErrorBody) {
    super(body.code, body.message);
    this.name = 'RemoteError';
    this.details = body.details;
  }
}

/**
 * The daemon answered nothing on a connection for `timeoutMs` while a request waited (not even
 * the `hello` the client sent meanwhile): it is stopped, hung, or far too busy.
 */
export class DaemonTimeoutError extends WardenError<'TIMEOUT'> {
  constructor(
    readonly socketPath: string,
    readonly timeoutMs: number,
  ) {
    super('TIMEOUT', `the daemon at ${socketPath} did not answer within ${timeoutMs}ms`);
    this.name = 'DaemonTimeoutError';
  }
}

/** A connection to a daemon. */
export interface ControlClient {
  /**
   * Sends one request and resolves with its result, typed by the protocol map.
   * @throws RemoteError, DaemonTimeoutError, or a socket error
   */
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  close(): void;
  /** Calls `fn` once the connection is closed (by either side). */
  onClose(fn: () => void): void;
}

/** Options of connectControl. */
export interface ControlOptions {
  /** Receives the events of a `subscribe` stream on this connection. */
  onEvent?: (event: StreamEvent) => void;
  /** Receives the figures frames of a `subscribe` stream with `figuresMs` on this connection. */
  onFigures?: (frame: FiguresFrame) => void;
  /**
   * How long (ms) the daemon may stay silent while a request waits: connecting, and then any
   * answer, including to the `hello` requests sent meanwhile so that a long request (`stop`,
   * `wait`) is not cut while the daemon lives. Past it every waiting request rejects with
   * DaemonTimeoutError. Default: no limit.
   */
  timeoutMs?: number;
}

/**
 * Connects to the daemon's control socket at `socketPath`. `onEvent` receives the events of a
 * `subscribe` stream on this connection (`{"event": ...}` lines, docs/protocol.md).
 * @throws NoDaemonError when nothing listens there; DaemonTimeoutError when connecting takes
 * longer than `timeoutMs`; UntrustedError (`code` `UNTRUSTED`) when the socket or the process
 * behind it belongs to another user (docs/security.md); other socket errors as they are
 */
export async function connectControl(
  socketPath: string,
  options: ControlOptions = {},
): Promise<ControlClient> {
  const { timeoutMs } = options;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect(socketPath);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            s.destroy();
            reject(new DaemonTimeoutError(socketPath, timeoutMs));
          }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = error.code ?? '';
      if (code === 'ENOENT' || code === 'ECONNREFUSED')
        return reject(new NoDaemonError(socketPath, code));
      const hint =
        code === 'EACCES'
          ? ' (PERMISSION_DENIED: the daemon belongs to another user and serves only root, that' +
            ' user and the members of its control.group: use your own --home, or ask to be' +
            ' added to that group)'
          : '';
      const message = `cannot connect to ${socketPath}: ${code}${hint}`;
      reject(new WardenError(code, message, { cause: error }));
    });
  });
  // Nothing is sent, and nothing it says believed, before we know who answers.
  // A daemon too slow for the proof is checked by SO_PEERCRED, within the caller's patience.
  const proofWait = Math.min(PROOF_WAIT_MS, timeoutMs ?? PROOF_WAIT_MS);
  const distrust = await distrustDaemon(socket, socketPath, proofWait);
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
  const silence =
    timeoutMs === undefined
      ? undefined
      : watchSilence(timeoutMs, {
          isWaiting: () => pending.size > 0,
          ping: () => void call('hello', {}).catch(() => undefined),
          expire: () => {
            failAll(new DaemonTimeoutError(socketPath, timeoutMs));
            socket.destroy();
          },
        });
  const reader = new LineReader(MAX_ANSWER_LINE);
  const onLine = (line: string): void => {
    const message = JSON.parse(line) as
      Response | { event: StreamEvent } | { figures: FiguresFrame };
    // A line of a `subscribe` stream.
    if ('event' in message) return options.onEvent?.(message.event);
    if ('figures' in message) return options.onFigures?.(message.figures);
    const response = message;
    // An error that answers no request in particular (a refused peer, a line too long).
    if (response.id === null && 'error' in response)
      return failAll(new RemoteError(response.error));
    const p = typeof response.id === 'number' ? pending.get(response.id) : undefined;
    if (p === undefined) return;
    pending.delete(response.id as number);
    if ('error' in response) p.reject(new RemoteError(response.error));
    else p.resolve(response.result);
  };
  socket.on('data', (chunk: Buffer) => {
    if (!reader.push(chunk)) {
      const message = `daemon answer too long (over ${MAX_ANSWER_LINE} bytes)`;
      failAll(new WardenError('ANSWER_TOO_LONG', message));
      socket.destroy();
      return;
    }
    for (let line = reader.shift(); line !== undefined; line = reader.shift())
      onLine(line.toString('utf8'));
    silence?.heard();
  });
  // Paused by the proof of the daemon (distrustDaemon), with what came after it kept.
  socket.resume();
  socket.on('error', failAll);
  socket.on('close', () => {
    silence?.stop();
    failAll(new WardenError('CONNECTION_CLOSED', 'the daemon closed the connection'));
  });
  const call = <M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> => {
    const id = nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const idle = pending.size === 0;
      // The daemon answers what the map declares for `method` (the one cast of a result).
      pending.set(id, { resolve: (v) => resolve(v as ResultOf<M>), reject });
      // A wait begins: the silence is counted from now.
      if (idle) silence?.heard();
      socket.write(encodeLine({ id, method, params }));
    });
  };
  return {
    call,
    close: () => socket.end(),
    onClose: (fn) => void socket.once('close', fn),
  };
}
