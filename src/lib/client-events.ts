// `subscribe` as an async iterator: subscribed at once, events queue up until the loop takes them.
import { connectControl, type ControlClient } from '../ipc/client.js';
import type { StreamEvent } from '../ipc/protocol.js';

/**
 * An item of `events()`: a state change, or `{dropped: N}` when the daemon had to drop N events
 * because this reader fell more than 1 MiB behind.
 */
export type WardenEvent = StreamEvent;

/** The events of some instances, as an async iterator (`for await`). */
export interface EventStream extends AsyncIterableIterator<WardenEvent> {
  /**
   * Resolves with the instance names once the daemon streams their events: act after it to be
   * sure to see the changes. Rejects like the iterator (NoDaemonError, RemoteError
   * `UNKNOWN_SERVICE`...).
   */
  readonly subscribed: Promise<string[]>;
  /** Ends the stream and its connection (as `break` out of the loop does). */
  close(): void;
}

/** Subscribes on a new connection to `socket` right away; yields until it closes. */
export function openEventStream(socket: string, targets: string[]): EventStream {
  const queue: WardenEvent[] = [];
  let isClosed = false;
  let failure: { error: unknown } | undefined;
  let control: ControlClient | undefined;
  let wake: (() => void) | undefined;
  const close = (): void => {
    isClosed = true;
    control?.close();
    wake?.();
  };
  const subscribed = (async () => {
    control = await connectControl(socket, {
      onEvent: (event) => {
        queue.push(event);
        wake?.();
      },
    });
    control.onClose(close);
    if (isClosed) control.close();
    const result = await control.call('subscribe', { targets });
    return result.subscribed;
  })();
  subscribed.catch((error: unknown) => {
    failure = { error };
    close();
  });
  const stream: EventStream = {
    subscribed,
    close,
    async next(): Promise<IteratorResult<WardenEvent, undefined>> {
      for (;;) {
        const event = queue.shift();
        if (event !== undefined) return { value: event, done: false };
        if (failure !== undefined) {
          const { error } = failure;
          failure = undefined;
          throw error;
        }
        if (isClosed) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    return(): Promise<IteratorResult<WardenEvent, undefined>> {
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
