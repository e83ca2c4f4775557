// The daemon's NOTIFY_SOCKETs: AF_UNIX datagram sockets whose datagrams (with their sender's
// credentials and any fds) reach the main thread from one receiving thread of their own. The
// daemon's own socket is in its home; a service running as another user gets one that only that
// user can reach (see runtime/readiness/notify-hub.ts), read by the same thread.
//
// Why a worker thread: Node has no AF_UNIX datagrams and no public way to watch an arbitrary fd,
// so something must block in poll(2). koffi's `.async` calls run on libuv's thread pool
// (napi_create_async_work): a call parked there for good takes one of its 4 threads from fs,
// dns.lookup, crypto and zlib (measured: with 4 parked calls, fs.readFile never completes). A
// worker_threads Worker blocks in a synchronous poll instead, costs ~11 MiB and ~45 ms once (one
// for every socket), and no CPU while idle. Node joins worker threads at exit, so the thread is
// woken and told to end on `close()` and, as a safety net, on the process's `exit` event.
import { chmodSync, chownSync, closeSync, lstatSync, unlinkSync, writeSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { errnoOf } from '../ffi/errno.js';
import { makePipe, setNonBlocking } from '../ffi/fds.js';
import {
  MAX_NOTIFY_SOCKETS,
  SHARED_COUNT,
  SHARED_FIRST_FD,
  SHARED_STOP,
  type NotifyWorkerData,
  type NotifyWorkerMessage,
} from './notify-worker.js';
import {
  allocateReceiveBuffers,
  bindDatagramSocket,
  closeSocket,
  receiveDatagram,
  type Datagram,
  type ReceiveBuffers,
} from '../ffi/unix-dgram.js';

export type { Datagram } from '../ffi/unix-dgram.js';

/** The largest datagram read whole (bytes); sd_notify(3) messages are far smaller. */
export const NOTIFY_MAX_BYTES = 65536;

/** Bound notify sockets, read by one thread. */
export interface NotifySocket {
  /** The absolute path of the first socket (the daemon's own). */
  readonly path: string;
  /**
   * Binds one more socket at `path`, mode 0600 and owned by `uid`: only that user (and root) can
   * send to it. Its datagrams come to the same handlers. A stale socket at `path` is replaced.
   * @returns undefined, or why it could not be bound (nothing is left at `path` then)
   */
  add(path: string, uid: number): NotifySocketError | undefined;
  /**
   * Starts receiving (the thread sleeping in poll); idempotent. Until then datagrams wait in the
   * sockets' queues (and a sender blocks, or gets EAGAIN, once one is full).
   */
  listen(): void;
  /**
   * Hands over at once what the thread has read and not yet handed over, then every datagram
   * still queued in the sockets (read here, without waiting). Nothing before `listen`.
   */
  drain(): void;
  /** Stops receiving, closes the sockets and unlinks them. Resolves once the thread ended. */
  close(): Promise<void>;
}

/** Why a socket could not be opened: the errno name and a sentence for the daemon log. */
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
   * Each datagram, in arrival order per socket. Runs on the main thread; its fds (SCM_RIGHTS)
   * are closed right after it returns, so a sender waiting on such an fd (sd_notify
   * `BARRIER=1`) resumes only once every earlier message of its socket was handled.
   */
  datagram(d: Datagram): void;
  /** A receive error (errno name and text); after anything but ENOBUFS/ENOMEM that socket is no longer read. */
  error(code: string, message: string): void;
}

/**
 * Binds an AF_UNIX SOCK_DGRAM socket at `path` (unix(7)), mode 0600, with SO_PASSCRED so that
 * each datagram carries its sender's pid/uid/gid (SCM_CREDENTIALS), as sd_notify(3) clients
 * expect of `$NOTIFY_SOCKET`. A stale socket at `path` is replaced: the caller must own the
 * path (the daemon holds its home's lock). Mode 0600 means only the daemon's user (and root)
 * can send; `add` binds sockets for other users.
 */
export function openNotifySocket(
  path: string,
  handlers: NotifySocketHandlers,
  maxBytes = NOTIFY_MAX_BYTES,
): OpenNotifySocketResult {
  const shared = new SharedArrayBuffer(4 * (SHARED_FIRST_FD + MAX_NOTIFY_SOCKETS));
  const slots = new Int32Array(shared);
  const sockets: { fd: number; path: string }[] = [];
  const bind = (at: string, uid: number | null): NotifySocketError | undefined => {
    if (sockets.length >= MAX_NOTIFY_SOCKETS)
      return { code: 'EMFILE', message: `more than ${MAX_NOTIFY_SOCKETS} notify sockets` };
    const stale = removeStaleSocket(at);
    if (stale !== undefined) return stale;
    let fd: number;
    try {
      fd = bindDatagramSocket(at);
    } catch (error) {
      const failure = describe(error, `cannot bind the notify socket ${at}`);
      if (failure.code === 'ENAMETOOLONG')
        failure.message += ' (over 107 bytes: use a shorter home)';
      return failure;
    }
    try {
      chmodSync(at, 0o600);
      if (uid !== null) chownSync(at, uid, -1);
    } catch (error) {
      closeSocket(fd);
      unlinkQuietly(at);
      return describe(error, `cannot give the notify socket ${at} its owner and mode`);
    }
    sockets.push({ fd, path: at });
    slots[SHARED_FIRST_FD + sockets.length - 1] = fd;
    Atomics.store(slots, SHARED_COUNT, sockets.length);
    wake();
    return undefined;
  };
  let wakeFds: [number, number] | undefined;
  const wake = (): void => {
    if (wakeFds === undefined) return;
    try {
      writeSync(wakeFds[1], WAKE_BYTE);
    } catch {
      // EAGAIN: the pipe is full of wake-ups already
    }
  };
  const first = bind(path, null);
  if (first !== undefined) return { ok: false, error: first };
  // The thread (an isolate of its own: several MB) starts with the first listener; datagrams
  // sent before wait in the sockets' queues.
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
  const stop = (): void => {
    Atomics.store(slots, SHARED_STOP, 1);
    wake();
  };
  const listen = (): void => {
    if (worker !== undefined || closing !== undefined) return;
    try {
      wakeFds = makePipe();
      setNonBlocking(wakeFds[0]);
      setNonBlocking(wakeFds[1]);
    } catch (error) {
      handlers.error(describe(error, 'pipe').code, `notify socket wake pipe: ${String(error)}`);
      return;
    }
    const workerData: NotifyWorkerData = { shared, wakeFd: wakeFds[0], maxBytes, port: port2 };
    const w = new Worker(new URL('./notify-worker.js', import.meta.url), {
      workerData,
      transferList: [port2],
    });
    worker = w;
    process.once('exit', stop);
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
    for (const { fd, path: at } of sockets) {
      try {
        for (
          let d = receiveDatagram(fd, bufs, false);
          d !== null;
          d = receiveDatagram(fd, bufs, false)
        )
          deliver(d);
      } catch (error) {
        handlers.error(describe(error, at).code, `draining ${at}: ${String(error)}`);
      }
    }
  };
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    worker?.ref(); // an unref'd worker would let the process end before its exit is seen
    stop();
    await ended;
    inbox.close();
    process.off('exit', stop);
    for (const { fd, path: at } of sockets) {
      closeSocket(fd);
      unlinkQuietly(at);
    }
    if (wakeFds !== undefined) wakeFds.forEach(closeQuietly);
  };
  const add = (at: string, uid: number): NotifySocketError | undefined =>
    closing !== undefined
      ? { code: 'ESHUTDOWN', message: 'the notify sockets are closed' }
      : bind(at, uid);
  return { ok: true, socket: { path, add, listen, drain, close: () => (closing ??= close()) } };
}

const WAKE_BYTE = Buffer.of(1);

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

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone: nothing to clean
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // EBADF: nothing left to close
  }
}
