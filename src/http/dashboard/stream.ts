// An event stream of the server read with fetch, not EventSource: EventSource cannot send the
// `Authorization` header that a server with `read: token` asks for. The format is the event
// stream of WHATWG HTML ("Server-sent events"): `event:`/`data:` lines, a blank line after each.
import type { Token } from './token.js';

/** What a stream tells its user. */
export interface StreamHandlers {
  /** The stream (re)opened: what was shown from an earlier one may be replaced. */
  onOpen(): void;
  /** One event: its name and its data parsed from JSON. */
  onEvent(name: string, data: unknown): void;
  /** How the connection stands, in words for the header. */
  onStatus(status: 'live' | 'reconnecting' | 'needs the token'): void;
}

/** How long to wait before opening a stream again after it ended (ms). */
const RETRY_MS = 2000;

/** Reads `url` as an event stream for as long as the page lives, opening it again when it ends. */
export function connectStream(url: string, token: Token, handlers: StreamHandlers): void {
  const run = async (): Promise<void> => {
    for (;;) {
      try {
        const res = await fetch(url, { headers: token.headers(), cache: 'no-store' });
        if (res.status === 401) {
          token.forget();
          handlers.onStatus('needs the token');
          const given = await token.ask(
            "Reading needs the server's token (the file of http.token_file).",
          );
          if (given === null) await token.whenSet();
          continue;
        }
        if (res.ok && res.body !== null) {
          handlers.onOpen();
          handlers.onStatus('live');
          await readEvents(res.body, (name, data) => handlers.onEvent(name, data));
        }
      } catch {
        // The server went (a daemon restart): try again below.
      }
      handlers.onStatus('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  };
  void run();
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (name: string, data: unknown) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let name = 'message';
  let data: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) dispatch(name, data.join('\n'), onEvent);
        name = 'message';
        data = [];
      } else if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
}

function dispatch(
  name: string,
  text: string,
  onEvent: (name: string, data: unknown) => void,
): void {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return;
  }
  onEvent(name, data);
}
