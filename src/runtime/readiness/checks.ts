// One attempt of each polled readiness check: a TCP connect, an HTTP GET, a command. Each
// settles within its time limit or at abort, leaves nothing open, and never rejects.
import type { ChildProcess } from 'node:child_process';
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import type { Command } from '../../config/types.js';
import { spawnTracked } from '../../effects/children.js';

/** `true` when ready, else why not (`ECONNREFUSED`, `HTTP 503`, `exit 1`...). */
export type AttemptResult = true | string;

/** One check attempt: settles by `timeoutMs` or soon after `signal` aborts. */
export type Attempt = (timeoutMs: number, signal: AbortSignal) => Promise<AttemptResult>;

// Runs `start` with a `finish` that settles once, and a timer and an abort that call `onLimit`.
function settleOnce(
  timeoutMs: number,
  signal: AbortSignal,
  start: (finish: (r: AttemptResult) => void) => (why: string) => void,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onLimit = start(finish);
    const timer = setTimeout(() => onLimit(`no success within ${timeoutMs}ms`), timeoutMs);
    const onAbort = (): void => onLimit('stopped');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorCode(error: Error): string {
  return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
}

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
      socket.once('error', (e) => end(errorCode(e)));
      return end;
    });
}

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
        req.once('error', (e) => end(errorCode(e)));
      } catch (error) {
        queueMicrotask(() => end(error instanceof Error ? errorCode(error) : String(error)));
      }
      return end;
    });
}

/** Where and with what environment an exec check runs (the service's own). */
export interface ExecContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Ready when `command` exits 0. It runs in a session of its own through spawnTracked (so the
 * orphan reaper leaves its status to libuv); at the time limit or abort its whole process group
 * gets SIGKILL, and the attempt settles once the command has exited, so attempts never overlap.
 */
export function execAttempt(command: Command, context: ExecContext): Attempt {
  const [file = '/bin/sh', ...args] =
    command.kind === 'shell' ? ['/bin/sh', '-c', command.script] : command.argv;
  return (timeoutMs, signal) =>
    settleOnce(timeoutMs, signal, (finish) => {
      let child: ChildProcess;
      let why: string | undefined;
      try {
        child = spawnTracked(file, args, { ...context, detached: true, stdio: 'ignore' });
      } catch (error) {
        queueMicrotask(() => finish(error instanceof Error ? errorCode(error) : String(error)));
        return () => undefined;
      }
      child.once('error', (e) => finish(`${errorCode(e)} (${file})`));
      child.once('exit', (code, sig) => {
        finish(why ?? (code === 0 ? true : code !== null ? `exit ${code}` : `${sig}`));
      });
      return (limit) => {
        why = limit;
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // not a group leader yet: the session is set up right after fork
        }
      };
    });
}
