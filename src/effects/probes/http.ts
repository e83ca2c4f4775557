// The http readiness check: a GET that answers 2xx or 3xx, from a listener of the instance's own.
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { failureOf, settleOnce, type Attempt, type AttemptResult } from './attempt.js';
import type { OwnerCheck } from './owned-listener.js';

/**
 * Ready when a GET of `url` answers 2xx or 3xx (redirects are not followed). No connection is
 * kept alive; an https certificate is not verified: the check asks whether the service answers,
 * not who it is. An answer from this machine counts only when `owner` accepts the listener that
 * gave it (ownerCheck: a socket of the instance's tree); one from another host is not checked.
 * `describe` words a request error (default failureOf: `ECONNREFUSED`).
 */
export function httpAttempt(
  url: string,
  owner: OwnerCheck,
  describe: (error: unknown) => string = failureOf,
): Attempt {
  return (timeoutMs, signal) =>
    settleOnce(timeoutMs, signal, (finish) => {
      let req: ClientRequest | undefined;
      const end = (r: AttemptResult): void => {
        req?.destroy();
        finish(r);
      };
      const options = { agent: false, headers: { 'user-agent': 'warden-ready' } } as const;
      try {
        const onResponse = (res: IncomingMessage): void => {
          const code = res.statusCode ?? 0;
          res.resume();
          // Whose answer it is comes first: another program's 200 or 503 says nothing of ours.
          const { remoteAddress, remotePort } = res.socket;
          const whose =
            remoteAddress === undefined || remotePort === undefined
              ? 'answered, but the peer address is unknown'
              : owner(remoteAddress, remotePort);
          if (whose !== true) return end(whose);
          end(code >= 200 && code < 400 ? true : `HTTP ${code}`);
        };
        req = url.startsWith('https:')
          ? httpsGet(url, { ...options, rejectUnauthorized: false }, onResponse)
          : httpGet(url, options, onResponse);
        req.once('error', (e) => end(describe(e)));
      } catch (error) {
        queueMicrotask(() => end(failureOf(error)));
      }
      return end;
    });
}
