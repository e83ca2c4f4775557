// A Server-Sent Events client for the tests of the HTTP server: Node's fetch reads the stream,
// and each event (WHATWG HTML "Server-sent events", the event stream format) is parsed and kept
// in arrival order with the time it arrived.

/** One event as it arrived: its `event:` name (`message` without one) and its `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when its last line arrived (ms). */
  at: number;
}

/** An open event stream. */
export interface SseStream {
  status: number;
  headers: Headers;
  /** Every event received so far, in order. */
  readonly events: SseEvent[];
  /** Comment lines (`: keep-alive`) received so far. */
  readonly comments: string[];
  /** Resolves when the server ends the stream (or it fails). */
  readonly ended: Promise<void>;
  /** The first event after the `from`-th for which `match` holds, within `timeoutMs`. */
  next(match: (e: SseEvent) => boolean, from?: number, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens `path` on 127.0.0.1:`port` as an event stream (any status: check `status`). */
export async function openSse(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((w) => w());
  const ended = read(res, (e) =>
    e.kind === 'event' ? events.push(e.event) : comments.push(e.text),
  )
    .catch(() => undefined)
    .finally(wake);
  ended.then(wake, wake);
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    ended,
    next(match, from = 0, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        let isDone = false;
        const check = (): void => {
          const found = events.slice(from).find(match);
          if (found === undefined || isDone) return;
          isDone = true;
          finish();
          resolve(found);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no matching event within ${timeoutMs}ms; got ${events.length}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };

  async function read(
    r: Response,
    onItem: (i: { kind: 'event'; event: SseEvent } | { kind: 'comment'; text: string }) => void,
  ): Promise<void> {
    if (r.body === null) return;
    const decoder = new TextDecoder();
    let buffered = '';
    let name = 'message';
    let data: string[] = [];
    for await (const chunk of r.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (line === '') {
          if (data.length > 0)
            onItem({
              kind: 'event',
              event: { event: name, data: data.join('\n'), at: performance.now() },
            });
          name = 'message';
          data = [];
        } else if (line.startsWith(':')) onItem({ kind: 'comment', text: line.slice(1).trim() });
        else if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      wake();
    }
  }
}
