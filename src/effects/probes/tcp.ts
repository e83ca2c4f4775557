// The tcp readiness check: a TCP connect that is accepted.
import { connect } from 'node:net';
import { failureOf, settleOnce, type Attempt, type AttemptResult } from './attempt.js';

/** Ready when a TCP connection to `host:port` is accepted (then closed at once). */
export function tcpAttempt(host: string, port: number): Attempt {
  return (timeoutMs, signal) =>
    settleOnce(timeoutMs, signal, (finish) => {
      const socket = connect({ host, port });
      const end = (r: AttemptResult): void => {
        socket.destroy();
        finish(r);
      };
      socket.once('connect', () => end(true));
      socket.once('error', (e) => end(failureOf(e)));
      return end;
    });
}
