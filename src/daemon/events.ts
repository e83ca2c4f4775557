// State changes as a stream: published by the supervisor, sent to every `subscribe` client.
import type { Socket } from 'node:net';
import { encodeLine } from '../ipc/ndjson.js';
import type { StateEvent, StreamEvent } from '../ipc/protocol.js';

/** Unsent bytes a subscriber may lag behind before events are dropped for it (and counted). */
export const MAX_BACKLOG = 1024 * 1024;

/** Fans state events out to subscribers. */
export class EventBus {
  readonly #subscribers = new Set<(e: StateEvent) => void>();

  /** Calls `fn` for every event from now on. @returns the unsubscribe function */
  subscribe(fn: (e: StateEvent) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  publish(event: StateEvent): void {
    for (const fn of this.#subscribers) fn(event);
  }
}

/**
 * Streams the events of `bus` for which `wanted` holds to `socket` as `{"event": {...}}` lines,
 * until it closes. A subscriber that does not read loses events, never the daemon's memory: the
 * loss is told as `{"event": {"dropped": N}}` once it catches up.
 */
export function streamEvents(
  bus: EventBus,
  socket: Socket,
  wanted: (e: StateEvent) => boolean,
): void {
  let dropped = 0;
  const off = bus.subscribe((event) => {
    if (!wanted(event) || socket.destroyed) return;
    if (socket.writableLength > MAX_BACKLOG) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      socket.write(encodeLine({ event: { dropped } satisfies StreamEvent }));
      dropped = 0;
    }
    socket.write(encodeLine({ event }));
  });
  socket.once('close', off);
}
