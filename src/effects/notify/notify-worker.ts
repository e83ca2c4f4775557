// The receiving thread of a notify socket: a blocking recvmsg loop on a thread of its own (not
// libuv's pool, which koffi's `.async` would occupy for good), posting each datagram to the main
// thread. Ends when the main thread shuts the socket down.
import { workerData, type MessagePort } from 'node:worker_threads';
import { SyscallError } from '../ffi/errno.js';
import { allocateReceiveBuffers, receiveDatagram, type Datagram } from '../ffi/unix-dgram.js';

/** What the main thread gives the worker. */
export interface NotifyWorkerData {
  fd: number;
  maxBytes: number;
  /** Where datagrams go: a port the main thread can also drain synchronously. */
  port: MessagePort;
}

/** What the worker posts: a datagram, or the error that ended the loop. */
export type NotifyWorkerMessage =
  { kind: 'datagram'; datagram: Datagram } | { kind: 'error'; code: string; message: string };

// Transient shortages: the datagram is dropped by the kernel, the loop goes on.
const TRANSIENT = new Set(['ENOBUFS', 'ENOMEM']);

function run({ fd, maxBytes, port }: NotifyWorkerData): void {
  const bufs = allocateReceiveBuffers(maxBytes);
  for (;;) {
    let datagram;
    try {
      datagram = receiveDatagram(fd, bufs);
    } catch (error) {
      const code = error instanceof SyscallError ? error.code : 'EIO';
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({ kind: 'error', code, message } satisfies NotifyWorkerMessage);
      if (TRANSIENT.has(code)) continue;
      return;
    }
    if (datagram === null) return;
    const message: NotifyWorkerMessage = { kind: 'datagram', datagram };
    port.postMessage(message, [datagram.data.buffer as ArrayBuffer]);
  }
}

if (workerData !== null) run(workerData as NotifyWorkerData);
