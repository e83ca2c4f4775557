// The tcp readiness check: a TCP connect that is accepted by a listener of the instance's own.
import { connect } from 'node:net';
import { failureOf, settleOnce, type Attempt, type AttemptResult } from './attempt.js';
import type { OwnerCheck } from './owned-listener.js';

/**
 * Ready when a TCP connection to `host:port` is accepted (then closed at once) and `owner`
 * accepts the listener that took it (ownerCheck: a socket of the instance's tree). `describe`
 * words a socket error (default failureOf: `ECONNREFUSED`).
 */
export function tcpAttempt(
  host: string,
  port: number,
  owner: OwnerCheck,
  describe: (error: unknown) => string = failureOf,
): Attempt {
  return (timeoutMs, signal) =>
    settleOnce(timeoutMs, signal, (finish) => {
      const socket = connect({ host, port });
      const end = (r: AttemptResult): void => {
        socket.destroy();
        finish(r);
      };
      socket.once('connect', () => {
        const peer = socket.remoteAddress;
        end(peer === undefined ? 'connected, but the peer address is unknown' : owner(peer, port));
      });
      socket.once('error', (e) => end(describe(e)));
      return end;
    });
}
