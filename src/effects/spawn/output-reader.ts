// Reading an instance's stdout and stderr pipes. The daemon's own pipes are read into one shared
// buffer (net.Socket's `onread`), so a flood costs no allocation per read: the capture copies
// what it keeps before the next read. A read that empties the pipe is followed by a short pause,
// so that a flood is read in full reads rather than one wake-up per write of the service. When
// the log's queue is full, reading pauses too: the pipe holds the service back instead of lines
// being dropped (for a bounded time, see LogFile.room). Any other Readable (tests) is read by
// its `data` events, with the same pause for a full queue.
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * Bytes of one read. libuv reads a pipe up to 32 times per wake-up: 2 MiB at most per turn of
 * the event loop, a few ms of work, so other services are not kept waiting.
 */
export const READ_BYTES = 64 * 1024;
/**
 * Pause after a read that emptied the pipe (ms): output gathers in the pipe meanwhile (1 MiB
 * holds 5 ms of a 200 MB/s flood, see OUTPUT_PIPE_BYTES), at the cost of this much latency.
 */
export const GATHER_MS = 2;

/** Where what a pipe reads goes: the capture of one stream (logs/service-log.ts makes them). */
export interface StreamCapture {
  /** Feeds a chunk read from the pipe. */
  push(chunk: Buffer): void;
  /** The pipe ended: writes the partial line. */
  end(): void;
  /**
   * undefined while the log has room; else a promise that resolves once it has room again (the
   * reader pauses meanwhile, so the pipe holds the service back). Bounded in time: see LogFile.
   */
  room(): Promise<void> | undefined;
}

/** One pipe being read: where its reads go, and why it is paused. */
interface Reader {
  capture: StreamCapture | undefined;
  /** Chunks read before the capture was attached (copied). */
  early: Buffer[];
  /** Reasons to stay paused (a gathering pause, a full log queue); reading resumes at 0. */
  holds: number;
}

const readers = new WeakMap<Readable, Reader>();
let shared: Buffer | undefined;

/**
 * Wraps the read end `fd` of a pipe (non-blocking from now on, closed at EOF or `destroy`).
 * Reads go into a buffer shared by every output pipe of the daemon: reads run one at a time on
 * the event loop and each is consumed before the next. @throws Error from the handle's open
 */
export function openOutputReader(fd: number): Socket {
  shared ??= Buffer.allocUnsafeSlow(READ_BYTES);
  const reader: Reader = { capture: undefined, early: [], holds: 0 };
  // Node takes `onread` in the constructor's options too (net.Socket docs); @types/node omits it.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer: shared,
      callback: (bytes: number, buf: Uint8Array) => {
        const chunk = Buffer.from(buf.buffer, buf.byteOffset, bytes);
        if (reader.capture === undefined) {
          reader.early.push(Buffer.from(chunk));
          return true;
        }
        reader.capture.push(chunk);
        if (bytes < buf.length) hold(socket, reader, delay(GATHER_MS));
        waitForRoom(socket, reader, reader.capture);
        return reader.holds === 0;
      },
    },
  };
  const socket = new Socket(options);
  readers.set(socket, reader);
  return socket;
}

/**
 * Feeds what `pipe` reads to `capture`, in order, and ends the capture at EOF.
 * @param onError receives read errors (EIO...); the capture is ended after them too
 */
export function readOutput(
  pipe: Readable,
  capture: StreamCapture,
  onError: (error: Error) => void,
): void {
  const reader = readers.get(pipe);
  if (reader !== undefined) {
    reader.capture = capture;
    for (const chunk of reader.early) capture.push(chunk);
    reader.early = [];
  } else {
    const own: Reader = { capture, early: [], holds: 0 };
    pipe.on('data', (chunk: Buffer) => {
      capture.push(chunk);
      waitForRoom(pipe, own, capture);
    });
  }
  pipe.once('end', () => capture.end());
  pipe.on('error', onError);
}

// Pauses `pipe` until the capture's log has room again, if it has none.
function waitForRoom(pipe: Readable, reader: Reader, capture: StreamCapture): void {
  const room = capture.room();
  if (room !== undefined) hold(pipe, reader, room);
}

// Pauses `pipe` until `until` resolves (and every other hold is over).
function hold(pipe: Readable, reader: Reader, until: Promise<void>): void {
  if (reader.holds++ === 0) pipe.pause();
  void until.then(() => {
    if (--reader.holds === 0) pipe.resume();
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
