// The handshake between a detached child and the process that started it (DESIGN.md section 3):
// a pipe at a known fd in the child carrying JSON lines. Shared by `warden up` (the daemon) and
// the library's daemonize() (any Node program).
import type { ChildProcess } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** A line the child wrote, or what its starter concluded without one. */
export type Handshake =
  /** The child is ready (the daemon listens; a library daemon called `ready()`). */
  | { ready: true; pid: number }
  /** The child's own start-up steps succeeded; it is not ready yet (daemonize()). */
  | { started: true; pid: number }
  | { error: { code: string; message: string } }
  | { eof: true; exit: string }
  | { timeout: true };

/** Writes one handshake line to `fd`, keeping it open. Ignores a starter that went away. */
export function writeHandshakeLine(fd: number, message: object): void {
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
  } catch {
    // The starter went away; the child runs on regardless.
  }
}

/** Writes the last handshake line to fd `fd` and closes it. */
export function writeHandshake(fd: number, message: object): void {
  writeHandshakeLine(fd, message);
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

function parseHandshake(line: string): Handshake {
  try {
    return JSON.parse(line) as Handshake;
  } catch {
    return {
      error: { code: 'PROTOCOL', message: `unexpected handshake from the daemon: ${line}` },
    };
  }
}

/** How long a final line waits for the EOF that should follow it at once (ms). */
const EOF_GRACE_MS = 2000;

/**
 * Reads handshake lines from `pipe` until one for which `isFinal` holds (by default the first),
 * the pipe's end, the child's spawn error, or `timeoutMs`.
 */
export function readHandshake(
  pipe: Readable,
  child: ChildProcess,
  timeoutMs: number,
  isFinal: (h: Handshake) => boolean = () => true,
): Promise<Handshake> {
  return new Promise((resolve) => {
    let text = '';
    let isDone = false;
    const timer = setTimeout(() => done({ timeout: true }), timeoutMs);
    const done = (h: Handshake): void => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      resolve(h);
    };
    // `ready` and `error` count once the pipe ends too: then the child has surely closed its end,
    // and the caller never returns while the daemon still holds the handshake fd.
    let final: Handshake | undefined;
    pipe.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      for (let nl = text.indexOf('\n'); nl !== -1 && final === undefined; nl = text.indexOf('\n')) {
        const h = parseHandshake(text.slice(0, nl));
        text = text.slice(nl + 1);
        if ('ready' in h || 'error' in h) {
          // The child's last words: wait for its EOF, but never let a healthy daemon time out.
          final = h;
          setTimeout(() => done(h), EOF_GRACE_MS).unref();
        } else if (isFinal(h)) {
          done(h); // e.g. `started` with wait: false: the child writes on
        }
      }
    });
    // The pipe's end, not the child's exit, decides: an error line may still be unread at exit.
    let exit = 'closed its handshake pipe';
    pipe.on('end', () => done(final ?? { eof: true, exit }));
    pipe.on('error', () => undefined);
    child.once('error', (error) => done({ error: { code: 'SPAWN', message: error.message } }));
    child.once('exit', (code, signal) => {
      exit = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    });
  });
}

/**
 * After a failed handshake: gives the child `graceMs` to exit by itself (it reported failure and
 * is on its way out), then SIGKILLs it, so the starter reports only once nothing is left.
 */
export async function settleFailedChild(
  child: ChildProcess,
  exited: Promise<void>,
  graceMs: number,
): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const gone = await Promise.race([exited.then(() => true), late]);
  clearTimeout(timer);
  if (!gone) {
    child.kill('SIGKILL');
    await exited;
  }
}
