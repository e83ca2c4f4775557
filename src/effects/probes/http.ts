// The http readiness check: a GET that answers 2xx or 3xx.
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { failureOf, settleOnce, type Attempt, type AttemptResult } from './attempt.js';

/**
 * Ready when a GET of `url` answers 2xx or 3xx (redirects are not followed). No connection is
 * kept alive; an https certificate is not verified: the check asks whether the service answers,
 * not who it is.
 */
export function httpAttempt(url: string): Attempt {
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
          end(code >= 200 && code < 400 ? true : `HTTP ${code}`);
        };
        req = url.startsWith('https:')
          ? httpsGet(url, { ...options, rejectUnauthorized: false }, onResponse)
          : httpGet(url, options, onResponse);
        req.once('error', (e) => end(failureOf(e)));
      } catch (error) {
        queueMicrotask(() => end(failureOf(error)));
      }
      return end;
    });
}
