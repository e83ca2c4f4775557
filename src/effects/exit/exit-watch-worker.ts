// The thread of an exit watcher (exit-watch.ts): blocks in poll(2) over its wake pipe and the
// pidfds it was given, and posts each exit to the main thread. It never closes a pidfd: the
// main thread owns them all (exit-watch.ts says why that is safe).
import { readSync } from 'node:fs';
import {
  parentPort,
  receiveMessageOnPort,
  workerData,
  type MessagePort,
} from 'node:worker_threads';
import { pollReadable } from '../ffi/fds.js';
import { errnoOf } from '../ffi/errno.js';

/** What the main thread gives the worker: the read end of its wake pipe (O_NONBLOCK). */
export interface ExitWorkerData {
  wakeFd: number;
}

/** What the main thread posts; it then writes a byte to the wake pipe so that poll returns. */
export type ExitWorkerCommand =
  { kind: 'add'; id: number; fd: number } | { kind: 'remove'; id: number } | { kind: 'quit' };

/** What the worker posts: watch `id`'s process exited, or its pidfd is no longer polled. */
export type ExitWorkerEvent = { kind: 'exited'; id: number } | { kind: 'removed'; id: number };

function run(port: MessagePort, { wakeFd }: ExitWorkerData): void {
  const watched = new Map<number, number>(); // watch id -> pidfd
  const scratch = Buffer.alloc(64);
  for (;;) {
    const ids = [...watched.keys()];
    const ready = pollReadable([wakeFd, ...watched.values()], -1);
    // Commands before exits, so that a watch removed meanwhile is not reported.
    if (ready[0] === 0 && !(drain(wakeFd, scratch) && takeCommands(port, watched))) return;
    for (const i of ready) {
      const id = ids[i - 1];
      // Dropped before it is posted: once main reads 'exited', this thread is done with the fd.
      if (id !== undefined && watched.delete(id)) post(port, { kind: 'exited', id });
    }
  }
}

// Empties the wake pipe; false at end of file (the write end closed: nothing will wake us).
function drain(fd: number, scratch: Buffer): boolean {
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, scratch);
    } catch (error) {
      if (errnoOf(error) === 'EAGAIN') return true;
      throw error;
    }
    if (n === 0) return false;
  }
}

// Applies every queued command, without the event loop (this thread never returns to it);
// false on 'quit'.
function takeCommands(port: MessagePort, watched: Map<number, number>): boolean {
  for (;;) {
    const received = receiveMessageOnPort(port);
    if (received === undefined) return true;
    const command = received.message as ExitWorkerCommand;
    switch (command.kind) {
      case 'add':
        watched.set(command.id, command.fd);
        break;
      case 'remove':
        watched.delete(command.id);
        post(port, { kind: 'removed', id: command.id });
        break;
      case 'quit':
        return false;
    }
  }
}

function post(port: MessagePort, event: ExitWorkerEvent): void {
  port.postMessage(event);
}

if (parentPort !== null) run(parentPort, workerData as ExitWorkerData);
