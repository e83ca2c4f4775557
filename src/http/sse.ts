// One Server-Sent Events response (WHATWG HTML, "Server-sent events": `event:` and `data:` lines,
// a blank line after each event, `:` comments). A client that does not read must not grow the
// daemon's memory: past a backlog of unsent bytes, events are dropped and counted, and the loss
// is told as `event: dropped` once the client catches up (as src/daemon/events.ts does for the
// control socket's `subscribe`).
import type { ServerResponse } from 'node:http';

/** Unsent bytes a client may lag behind before events are dropped for it. */
const MAX_BACKLOG = 1024 * 1024;

/** A comment this often keeps proxies and the client's idle timers from closing the stream. */
const KEEP_ALIVE_MS = 15_000;

/** An open event stream to one client. */
export interface SseChannel {
  /**
   * Sends one event whose data is `data` as JSON (one line). While the client is more than
   * MAX_BACKLOG bytes behind it is dropped, and counted under `lost` (`lines`, `events`) unless
   * null (an event the next one replaces, such as `figures`).
   * @returns false if dropped or closed
   */
  send(event: string, data: unknown, lost: string | null): boolean;
  /** Ends the stream (the client sees its end). */
  end(): void;
  /** True once the client went or the stream ended. */
  readonly isClosed: boolean;
  /** Calls `fn` once when the client goes, the server closes, or `end` is called. */
  onClose(fn: () => void): void;
}

/**
 * Answers the request of `res` with 200 and `Content-Type: text/event-stream`, and returns the channel to send
 * on. Keep-alive comments go out every 15 s until the stream closes.
 */
export function openSse(res: ServerResponse): SseChannel {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    // Reverse proxies (nginx) would otherwise hold the events back.
    'X-Accel-Buffering': 'no',
  });
  // A client that loses the stream tries again after 2 s.
  res.write(': warden\nretry: 2000\n\n');
  const dropped = new Map<string, number>();
  const closers: (() => void)[] = [];
  let isClosed = false;
  const close = (): void => {
    if (isClosed) return;
    isClosed = true;
    clearInterval(keepAlive);
    for (const fn of closers.splice(0)) fn();
  };
  const keepAlive = setInterval(() => {
    if (!res.writableEnded && res.writableLength <= MAX_BACKLOG) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  // Emitted when the client goes, when closeAllConnections() ends it, and after end().
  res.once('close', close);
  // HEAD (which the router answers as GET) gets the headers only, not an endless stream.
  if (res.req.method === 'HEAD') {
    res.end();
    close();
  }
  const frame = (event: string, data: unknown): string =>
    `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const tellDropped = (): void => {
    if (dropped.size === 0) return;
    res.write(frame('dropped', Object.fromEntries(dropped)));
    dropped.clear();
  };
  // Once a slow client caught up, it learns what it lost even if nothing more is sent.
  res.on('drain', () => {
    if (!isClosed && !res.writableEnded && res.writableLength <= MAX_BACKLOG) tellDropped();
  });
  return {
    send(event, data, lost) {
      if (isClosed || res.writableEnded || res.destroyed) return false;
      if (res.writableLength > MAX_BACKLOG) {
        if (lost !== null) dropped.set(lost, (dropped.get(lost) ?? 0) + 1);
        return false;
      }
      tellDropped();
      res.write(frame(event, data));
      return true;
    },
    end() {
      if (!isClosed) res.end();
      close();
    },
    get isClosed() {
      return isClosed;
    },
    onClose(fn) {
      if (isClosed) fn();
      else closers.push(fn);
    },
  };
}
