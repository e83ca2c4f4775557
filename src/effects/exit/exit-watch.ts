// Learns when processes that are not the daemon's children exit. After a daemon restart the
// services it adopts were reparented to init, so waitpid(2) cannot see them; but a pidfd
// (pidfd_open(2)) becomes readable when its process exits. One worker thread, started on the
// first watch, blocks in poll(2) over a wake pipe and every pidfd (a thread of its own, not
// koffi's `.async` on libuv's pool: see notify-socket.ts). Without pidfds (before Linux 5.3)
// a watch reads /proc/PID/stat once a second instead.
//
// Who closes a pidfd: the main thread, always, and only after the worker said it no longer
// polls it ('exited', posted once the worker dropped the fd, or 'removed', its answer to a
// 'remove'); whichever comes first closes it, the other finds no watch. Closing sooner would
// let the kernel give the same number to the next open file while the worker still polls it,
// reporting a stranger's readiness as an exit. close() closes what is left once the thread ended.
import { closeSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ExitWorkerCommand, ExitWorkerData, ExitWorkerEvent } from './exit-watch-worker.js';
import { errnoOf, SyscallError } from '../ffi/errno.js';
import { makePipe, setNonBlocking } from '../ffi/fds.js';
import { pidfdOpen } from '../ffi/process.js';
import { isDead, readProc } from '../containment/proc.js';

/** A live watch; cancel() stops it (idempotent) and closes its pidfd. */
export interface ExitWatch {
  cancel(): void;
}

/** Learns when processes that are not the daemon's children exit. */
export interface ExitWatcher {
  /**
   * Calls `onExit` once, on the main thread, when process `pid` exits (pidfd_open(2), poll(2)).
   * `startTime` (field 22 of /proc/PID/stat, clock ticks since boot) identifies the process:
   * returns undefined, without calling onExit, when no process with that pid and start time
   * runs now (gone, a zombie, or the pid was reused). The identity is checked after the pidfd
   * is open, so a recycled pid is never watched. Where no pidfd can be had (ENOSYS before
   * Linux 5.3, EPERM from a seccomp filter that predates the call, or EMFILE/ENFILE/ENOMEM
   * for the pidfd or the thread's wake pipe) or the thread died, the watch reads
   * /proc/PID/stat every 1 s instead, and onExit comes up to 1 s late.
   * Neither the thread nor a watch keeps the process alive; onExit is never called once
   * close() was.
   * @throws Error after close()
   */
  watch(pid: number, startTime: number, onExit: () => void): ExitWatch | undefined;
  /** Stops the worker and closes every pidfd. Resolves once the thread ended. */
  close(): Promise<void>;
}

/** The seams tests use to play a kernel without pidfds or a thread that dies. */
export interface ExitWatcherSeams {
  openPidfd: (pid: number) => number | null;
  workerUrl: URL;
}

const POLL_PERIOD_MS = 1000;

// pidfd_open(2) failures that hold for good (ENOSYS: no such call; EPERM: a seccomp filter
// refuses it, as container runtimes' older default profiles do) or for now (out of fds/memory).
const NO_PIDFD_EVER = new Set(['ENOSYS', 'EPERM']);
const NO_PIDFD_NOW = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

/** Opens an exit watcher; its thread starts on the first watch. */
export function openExitWatcher(): ExitWatcher {
  return openExitWatcherWith({
    openPidfd: pidfdOpen,
    workerUrl: new URL('./exit-watch-worker.js', import.meta.url),
  });
}

type Watch =
  | { kind: 'pidfd'; fd: number; pid: number; startTime: number; onExit: () => void }
  | { kind: 'cancelled-pidfd'; fd: number }
  | { kind: 'proc'; timer: NodeJS.Timeout };

interface Thread {
  post(command: ExitWorkerCommand): void;
  stop(): Promise<void>;
}

/** openExitWatcher with its seams given. */
export function openExitWatcherWith(seams: ExitWatcherSeams): ExitWatcher {
  const watches = new Map<number, Watch>();
  let nextId = 1;
  let thread: Thread | undefined;
  let canUsePidfds = true; // false once pidfd_open proved unavailable, or the thread died
  let closed: Promise<void> | undefined;

  const pollProc = (id: number, pid: number, startTime: number, onExit: () => void): void => {
    const timer = setInterval(() => {
      if (isRunning(pid, startTime)) return;
      clearInterval(timer);
      watches.delete(id);
      onExit();
    }, POLL_PERIOD_MS).unref();
    watches.set(id, { kind: 'proc', timer });
  };

  const onEvent = (event: ExitWorkerEvent): void => {
    const w = watches.get(event.id);
    if (closed !== undefined || w === undefined || w.kind === 'proc') return;
    watches.delete(event.id);
    closeSync(w.fd);
    if (w.kind === 'pidfd' && event.kind === 'exited') w.onExit();
  };

  // The thread ended though nobody stopped it: it cannot touch an fd any more, so its watches
  // go on by reading /proc, and so do all later ones.
  const onThreadDied = (): void => {
    thread = undefined;
    canUsePidfds = false;
    for (const [id, w] of [...watches]) {
      if (w.kind === 'proc') continue;
      closeSync(w.fd);
      watches.delete(id);
      if (w.kind === 'pidfd') pollProc(id, w.pid, w.startTime, w.onExit);
    }
  };

  // The thread, started on the first pidfd; undefined when its wake pipe cannot be made now.
  const ensureThread = (): Thread | undefined => {
    try {
      return (thread ??= startThread(seams.workerUrl, onEvent, onThreadDied));
    } catch (error) {
      if (error instanceof SyscallError && NO_PIDFD_NOW.has(error.code)) return undefined;
      throw error;
    }
  };

  const openPidfd = (pid: number): number | null | 'none' => {
    if (!canUsePidfds) return 'none';
    try {
      return seams.openPidfd(pid);
    } catch (error) {
      if (!(error instanceof SyscallError)) throw error;
      if (error.code === 'EINVAL') return null; // pid <= 0, or a thread that leads no process
      if (NO_PIDFD_EVER.has(error.code)) canUsePidfds = false;
      else if (!NO_PIDFD_NOW.has(error.code)) throw error;
      return 'none';
    }
  };

  return {
    watch(pid, startTime, onExit) {
      if (closed !== undefined) throw new Error('ExitWatcher.watch() called after close()');
      const fd = openPidfd(pid);
      if (fd === null) return undefined;
      if (!isRunning(pid, startTime)) {
        if (fd !== 'none') closeSync(fd);
        return undefined;
      }
      const id = nextId++;
      const running = fd === 'none' ? undefined : ensureThread();
      if (fd !== 'none' && running !== undefined) {
        watches.set(id, { kind: 'pidfd', fd, pid, startTime, onExit });
        running.post({ kind: 'add', id, fd });
      } else {
        if (fd !== 'none') closeSync(fd);
        pollProc(id, pid, startTime, onExit);
      }
      return {
        cancel() {
          const w = watches.get(id);
          if (closed !== undefined || w === undefined || w.kind === 'cancelled-pidfd') return;
          if (w.kind === 'proc') {
            clearInterval(w.timer);
            watches.delete(id);
            return;
          }
          watches.set(id, { kind: 'cancelled-pidfd', fd: w.fd });
          thread?.post({ kind: 'remove', id });
        },
      };
    },
    close() {
      closed ??= (async () => {
        for (const w of watches.values()) if (w.kind === 'proc') clearInterval(w.timer);
        await thread?.stop();
        for (const w of watches.values()) if (w.kind !== 'proc') closeSync(w.fd);
        watches.clear();
      })();
      return closed;
    },
  };
}

// Whether `pid` is still the live (not zombie) process that started at `startTime`.
function isRunning(pid: number, startTime: number): boolean {
  const info = readProc(pid);
  return info !== undefined && info.startTime === startTime && !isDead(info);
}

const WAKE = Buffer.of(1);

function startThread(url: URL, onEvent: (e: ExitWorkerEvent) => void, onDied: () => void): Thread {
  const [wakeRead, wakeWrite] = makePipe();
  setNonBlocking(wakeRead);
  setNonBlocking(wakeWrite);
  const workerData: ExitWorkerData = { wakeFd: wakeRead };
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData });
  } catch (error) {
    closeSync(wakeRead);
    closeSync(wakeWrite);
    throw error;
  }
  let isStopping = false;
  const post = (command: ExitWorkerCommand): void => {
    worker.postMessage(command);
    try {
      writeSync(wakeWrite, WAKE);
    } catch (error) {
      // EAGAIN: the pipe is full of wake-ups the thread has yet to read, so it will wake.
      if (errnoOf(error) !== 'EAGAIN') throw error;
    }
  };
  // Node joins worker threads at exit: one left in poll(2) would hold the process for ever.
  const quit = (): void => {
    isStopping = true;
    post({ kind: 'quit' });
  };
  process.once('exit', quit);
  worker.on('message', onEvent);
  worker.on('error', () => undefined); // its 'exit' follows, which hands the watches over
  worker.unref(); // after on('message'), which would ref it again and hold the process open
  const ended = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      process.off('exit', quit);
      closeSync(wakeRead);
      closeSync(wakeWrite);
      if (!isStopping) onDied();
      resolve();
    }),
  );
  return {
    post,
    stop() {
      worker.ref(); // an unref'd worker would let the process end before its exit is seen
      if (!isStopping) quit();
      return ended;
    },
  };
}
