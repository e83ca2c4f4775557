// The daemon's NOTIFY_SOCKET: an AF_UNIX datagram socket whose datagrams (with their sender's
// credentials and any fds) reach the main thread from a receiving thread of its own.
//
// Why a worker thread: Node has no AF_UNIX datagrams and no public way to watch an arbitrary fd,
// so something must block in recvmsg(2). koffi's `.async` calls run on libuv's thread pool
// (napi_create_async_work): a recvmsg parked there for good takes one of its 4 threads from fs,
// dns.lookup, crypto and zlib (measured: with 4 parked calls, fs.readFile never completes). A
// worker_threads Worker blocks in a synchronous recvmsg instead, costs ~11 MiB and ~45 ms once,
// and no CPU while idle. Node joins worker threads at exit, so the socket is shut down (which
// wakes recvmsg) on `close()` and, as a safety net, on the process's `exit` event.
import { closeSync, lstatSync, unlinkSync, chmodSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { errnoOf } from '../ffi/errno.js';
import type { NotifyWorkerData, NotifyWorkerMessage } from './notify-worker.js';
import {
  allocateReceiveBuffers,
  bindDatagramSocket,
  closeSocket,
  receiveDatagram,
  shutdownSocket,
  type Datagram,
  type ReceiveBuffers,
} from '../ffi/unix-dgram.js';

export type { Datagram } from '../ffi/unix-dgram.js';

/** The largest datagram read whole (bytes); sd_notify(3) messages are far smaller. */
export const NOTIFY_MAX_BYTES = 65536;

/** A bound notify socket. */
export interface NotifySocket {
  /** The absolute path services get in `NOTIFY_SOCKET`. */
  readonly path: string;
  /**
   * Starts receiving (the thread blocked in recvmsg); idempotent. Until then datagrams wait in
   * the socket's queue (and a sender blocks, or gets EAGAIN, once it is full).
   */
  listen(): void;
  /**
   * Hands over at once what the thread has read and not yet handed over, then every datagram
   * still queued in the socket (read here, without waiting). Nothing before `listen`.
   */
  drain(): void;
  /** Stops receiving, closes the socket and unlinks its path. Resolves once the thread ended. */
  close(): Promise<void>;
}

/** Why the socket could not be opened: the errno name and a sentence for the daemon log. */
export interface NotifySocketError {
  code: string;
  message: string;
}

/** What `openNotifySocket` gives. */
export type OpenNotifySocketResult =
  { ok: true; socket: NotifySocket } | { ok: false; error: NotifySocketError };

/** Receivers of an open notify socket. */
export interface NotifySocketHandlers {
  /**
   * Each datagram, in arrival order. Runs on the main thread; its fds (SCM_RIGHTS) are closed
   * right after it returns, so a sender waiting on such an fd (sd_notify `BARRIER=1`) resumes
   * only once every earlier message was handled.
   */
  datagram(d: Datagram): void;
  /** A receive error (errno name and text); after anything but ENOBUFS/ENOMEM it stops. */
  error(code: string, message: string): void;
}

/**
 * Binds an AF_UNIX SOCK_DGRAM socket at `path` (unix(7)), mode 0600, with SO_PASSCRED so that
 * each datagram carries its sender's pid/uid/gid (SCM_CREDENTIALS), as sd_notify(3) clients
 * expect of `$NOTIFY_SOCKET`. A stale socket at `path` is replaced: the caller must own the
 * path (the daemon holds its home's lock). Mode 0600 means only the daemon's user (and root)
 * can send: services running as another user could not notify.
 */
export function openNotifySocket(
  path: string,
  handlers: NotifySocketHandlers,
  maxBytes = NOTIFY_MAX_BYTES,
): OpenNotifySocketResult {
  const stale = removeStaleSocket(path);
  if (stale !== undefined) return { ok: false, error: stale };
  let fd: number;
  try {
    fd = bindDatagramSocket(path);
    chmodSync(path, 0o600);
  } catch (error) {
    const failure = describe(error, `cannot bind the notify socket ${path}`);
    if (failure.code === 'ENAMETOOLONG') failure.message += ' (over 107 bytes: use a shorter home)';
    return { ok: false, error: failure };
  }
  const wake = (): void => shutdownSocket(fd);
  process.once('exit', wake);
  // The thread (an isolate of its own: several MB) starts with the first listener; datagrams
  // sent before wait in the socket's queue.
  let worker: Worker | undefined;
  let ended: Promise<void> = Promise.resolve();
  const { port1: inbox, port2 } = new MessageChannel();
  const deliver = (d: Datagram): void => {
    try {
      handlers.datagram(d);
    } finally {
      for (const received of d.fds) closeQuietly(received);
    }
  };
  const take = (m: NotifyWorkerMessage): void =>
    m.kind === 'error' ? handlers.error(m.code, m.message) : deliver(m.datagram);
  const listen = (): void => {
    if (worker !== undefined || closing !== undefined) return;
    const workerData: NotifyWorkerData = { fd, maxBytes, port: port2 };
    const w = new Worker(new URL('./notify-worker.js', import.meta.url), {
      workerData,
      transferList: [port2],
    });
    worker = w;
    inbox.on('message', take);
    w.on('error', (e) => handlers.error('EIO', `notify socket thread failed: ${e.message}`));
    // After the listeners: adding a 'message' listener refs a port again.
    inbox.unref();
    w.unref();
    ended = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  };
  let bufs: ReceiveBuffers | undefined;
  const drain = (): void => {
    if (worker === undefined || closing !== undefined) return;
    for (let m = receiveMessageOnPort(inbox); m !== undefined; m = receiveMessageOnPort(inbox))
      take(m.message as NotifyWorkerMessage);
    bufs ??= allocateReceiveBuffers(maxBytes);
    try {
      for (
        let d = receiveDatagram(fd, bufs, false);
        d !== null;
        d = receiveDatagram(fd, bufs, false)
      )
        deliver(d);
    } catch (error) {
      handlers.error(
        describe(error, 'notify socket').code,
        `draining the notify socket: ${String(error)}`,
      );
    }
  };
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    worker?.ref(); // an unref'd worker would let the process end before its exit is seen
    shutdownSocket(fd);
    await ended;
    inbox.close();
    process.off('exit', wake);
    closeSocket(fd);
    try {
      unlinkSync(path);
    } catch {
      // already gone: nothing to clean
    }
  };
  return { ok: true, socket: { path, listen, drain, close: () => (closing ??= close()) } };
}

function removeStaleSocket(path: string): NotifySocketError | undefined {
  try {
    if (!lstatSync(path).isSocket()) {
      return { code: 'EEXIST', message: `${path} exists and is not a socket: remove it` };
    }
    unlinkSync(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    return describe(error, `cannot replace the stale socket ${path}`);
  }
  return undefined;
}

function describe(error: unknown, what: string): NotifySocketError {
  const code = errnoOf(error) ?? 'EIO';
  return { code, message: `${what}: ${code}` };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // EBADF: nothing left to close
  }
}
