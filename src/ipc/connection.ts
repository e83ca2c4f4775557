// One client of the control socket: lines in, answers out, and the bounds that keep a flood of
// requests, huge lines or a client that never reads from costing the daemon memory or other
// clients their turn (docs/protocol.md "Limits").
import type { Socket } from 'node:net';
import { trimMalloc } from '../effects/ffi/process.js';
import { encodeLine, LineReader, MAX_REQUEST_LINE } from './ndjson.js';
import type { Response } from './protocol.js';

/** Requests of one connection that may run at once; past it, its further lines wait unread. */
export const MAX_IN_FLIGHT = 16;
/** Requests of one connection started per event-loop turn, so every connection gets its turn. */
const PER_TURN = 1;
/** Unread answer bytes of one connection past which it gets no new request started. */
const MAX_QUEUED_BYTES = 64 * 1024;
/** Unsent answer bytes of all connections together past which a client that does not read is dropped. */
export const MAX_TOTAL_QUEUED = 64 * 1024 * 1024;
/** Bytes of unfinished requests of all connections together; a line that would pass it is refused. */
export const MAX_TOTAL_REQUEST_BYTES = 64 * 1024 * 1024;
/** An unfinished line of up to this many bytes is always accepted, whatever the others hold. */
const SMALL_LINE = 1024 * 1024;

/** Requests served after which a closing connection makes the daemon give memory back. */
const COMPACT_AFTER = 1000;

/** The connections of one server: what they hold together is bounded. */
export class ConnectionPool {
  readonly #open = new Set<Connection>();
  #served = 0;
  #compacting: NodeJS.Timeout | undefined;

  add(connection: Connection): void {
    this.#open.add(connection);
  }

  delete(connection: Connection): void {
    this.#open.delete(connection);
    if (this.#served >= COMPACT_AFTER) this.#compactSoon();
  }

  /** Counts one request served. */
  served(): void {
    this.#served++;
  }

  // After a flood, a full collection and a malloc_trim once the clients are gone: V8 and glibc
  // would keep what they grew for minutes. gc() needs --expose-gc (the detached daemon has it).
  #compactSoon(): void {
    clearTimeout(this.#compacting);
    this.#compacting = setTimeout(() => {
      this.#served = 0;
      (globalThis as { gc?: () => void }).gc?.();
      trimMalloc();
    }, 1000).unref();
  }

  /** Answer bytes written but not yet taken by the kernel, over all connections. */
  queuedBytes(): number {
    let sum = 0;
    for (const c of this.#open) sum += c.socket.writableLength;
    return sum;
  }

  /** Request bytes read but not yet handled, over all connections. */
  heldRequestBytes(): number {
    let sum = 0;
    for (const c of this.#open) sum += c.heldBytes;
    return sum;
  }
}

/** Answers one request line (never throws: a failure is an error answer). */
export type LineHandler = (line: Buffer, socket: Socket) => Promise<Response>;

/**
 * Serves one connection. Lines are handled at most MAX_IN_FLIGHT at once and PER_TURN per
 * event-loop turn; while lines wait, reading stops, so the kernel's socket buffer pushes back on
 * the client. A client whose unread answers pass MAX_QUEUED_BYTES gets no new request started
 * until it reads; one that holds answers while all clients' unsent answers pass
 * MAX_TOTAL_QUEUED is disconnected (and logged).
 */
export class Connection {
  readonly #reader = new LineReader(MAX_REQUEST_LINE);
  #inFlight = 0;
  #scheduled = false;
  #ended = false;

  constructor(
    readonly socket: Socket,
    private readonly handle: LineHandler,
    private readonly pool: ConnectionPool,
    private readonly onError: (message: string) => void,
  ) {
    pool.add(this);
    socket.once('close', () => pool.delete(this));
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('drain', () => this.#schedule());
    socket.on('end', () => {
      this.#ended = true;
      this.#pump();
    });
    socket.on('error', () => socket.destroy());
  }

  /** Request bytes read and not yet handled. */
  get heldBytes(): number {
    return this.#reader.heldBytes;
  }

  /** Writes an answer, or drops this client if it holds answers the daemon cannot afford. */
  send(response: Response): void {
    const { socket } = this;
    if (socket.destroyed || !socket.writable) return;
    const line = encodeLine(response);
    const held = socket.writableLength;
    if (held > 0 && this.pool.queuedBytes() + line.length > MAX_TOTAL_QUEUED) {
      this.onError(
        `control socket: disconnected a client that does not read its answers (${held} bytes unread)`,
      );
      socket.destroy();
      return;
    }
    socket.write(line);
  }

  #read(chunk: Buffer): void {
    const fits = this.#reader.push(chunk);
    if (!fits) return this.#refuse('request line too long');
    const large = this.#reader.heldBytes > SMALL_LINE;
    if (large && this.pool.heldRequestBytes() > MAX_TOTAL_REQUEST_BYTES) {
      return this.#refuse('request line too long for now: other large requests are being read');
    }
    this.#pump();
  }

  #refuse(message: string): void {
    this.send({ id: null, error: { code: 'BAD_REQUEST', message } });
    this.socket.end();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  // Starts what may start now; reads on only when nothing waits.
  #pump(): void {
    const { socket } = this;
    if (socket.destroyed) return;
    let started = 0;
    while (
      started < PER_TURN &&
      this.#inFlight < MAX_IN_FLIGHT &&
      socket.writableLength <= MAX_QUEUED_BYTES
    ) {
      const line = this.#reader.shift();
      if (line === undefined) break;
      started++;
      this.#inFlight++;
      void this.handle(line, socket).then((response) => {
        this.#inFlight--;
        this.pool.served();
        this.send(response);
        this.#schedule();
      });
    }
    if (this.#reader.hasLines) {
      socket.pause();
      // More lines may start next turn (a full queue or too many in flight resume on answers).
      if (started === PER_TURN) this.#schedule();
    } else if (this.#ended) {
      if (this.#inFlight === 0) socket.end();
    } else socket.resume();
  }
}
