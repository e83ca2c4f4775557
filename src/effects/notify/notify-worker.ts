// The receiving thread of the notify sockets: it sleeps in poll(2) on every bound socket and a
// wake pipe (on a thread of its own, not libuv's pool, which koffi's `.async` would occupy for
// good), and posts each datagram to the main thread. The main thread adds sockets and asks it to
// stop through a shared array and a byte on the wake pipe.
import { readSync } from 'node:fs';
import { workerData, type MessagePort } from 'node:worker_threads';
import { errnoOf, SyscallError } from '../ffi/errno.js';
import { pollReadable } from '../ffi/fds.js';
import { allocateReceiveBuffers, receiveDatagram, type Datagram } from '../ffi/unix-dgram.js';

/** What the main thread gives the worker. */
export interface NotifyWorkerData {
  /** Read by both threads: see SHARED_STOP, SHARED_COUNT and SHARED_FIRST_FD. */
  shared: SharedArrayBuffer;
  /** The read end of the wake pipe (non-blocking): a byte there means "look at `shared`". */
  wakeFd: number;
  maxBytes: number;
  /** Where datagrams go: a port the main thread can also drain synchronously. */
  port: MessagePort;
}

/** Int32 slots of `shared`: 1 once the thread must end. */
export const SHARED_STOP = 0;
/** How many socket fds follow from SHARED_FIRST_FD (only ever grows). */
export const SHARED_COUNT = 1;
export const SHARED_FIRST_FD = 2;
/** Sockets one receiving thread reads: the daemon's own and one per service user. */
export const MAX_NOTIFY_SOCKETS = 64;

/** What the worker posts: a datagram, or an error (on one socket, or of the whole loop). */
export type NotifyWorkerMessage =
  { kind: 'datagram'; datagram: Datagram } | { kind: 'error'; code: string; message: string };

// Transient shortages: the datagram is dropped by the kernel, the loop goes on.
const TRANSIENT = new Set(['ENOBUFS', 'ENOMEM']);

function run({ shared, wakeFd, maxBytes, port }: NotifyWorkerData): void {
  const slots = new Int32Array(shared);
  const bufs = allocateReceiveBuffers(maxBytes);
  const failed = new Set<number>();
  const post = (m: NotifyWorkerMessage, transfer: ArrayBuffer[] = []): void =>
    port.postMessage(m, transfer);
  const fail = (error: unknown): NotifyWorkerMessage & { kind: 'error' } => ({
    kind: 'error',
    code: error instanceof SyscallError ? error.code : (errnoOf(error) ?? 'EIO'),
    message: error instanceof Error ? error.message : String(error),
  });
  const wakeBytes = Buffer.alloc(64);
  for (;;) {
    if (Atomics.load(slots, SHARED_STOP) === 1) return;
    const count = Atomics.load(slots, SHARED_COUNT);
    const sockets: number[] = [];
    for (let i = 0; i < count; i++) {
      const fd = slots[SHARED_FIRST_FD + i] ?? -1;
      if (!failed.has(fd)) sockets.push(fd);
    }
    let ready: number[];
    try {
      ready = pollReadable([wakeFd, ...sockets], -1);
    } catch (error) {
      return post(fail(error));
    }
    if (Atomics.load(slots, SHARED_STOP) === 1) return;
    for (const index of ready) {
      if (index === 0) {
        emptyPipe(wakeFd, wakeBytes);
        continue;
      }
      const fd = sockets[index - 1] ?? -1;
      // Non-blocking reads of what is queued: the main thread may drain the same socket, and
      // poll said only that something was there.
      for (;;) {
        let datagram: Datagram | null;
        try {
          datagram = receiveDatagram(fd, bufs, false);
        } catch (error) {
          const m = fail(error);
          post(m);
          if (!TRANSIENT.has(m.code)) failed.add(fd);
          break;
        }
        if (datagram === null) break;
        post({ kind: 'datagram', datagram }, [datagram.data.buffer as ArrayBuffer]);
      }
    }
  }
}

function emptyPipe(fd: number, buffer: Buffer): void {
  try {
    while (readSync(fd, buffer) > 0);
  } catch {
    // EAGAIN: empty
  }
}

if (workerData !== null) run(workerData as NotifyWorkerData);
