// The caller's side of daemonize(): every step that can fail in the caller (fds, files, the
// pid file) runs before the spawn, so a failure leaves no child; then the detached re-run and
// its handshake decide the exit code.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { readHandshake, settleFailedChild, type Handshake } from '../detach/handshake.js';
import { DAEMONIZE_MARKER } from './daemonize-child.js';
import type { DaemonizeOptions } from './daemonize.js';
import { stepFailed } from './errors.js';
import { probePidFile } from './pid-file.js';

/** The handshake pipe is the daemon's fd 3 (as for `warden up`). */
const HANDSHAKE_FD = 3;
const DEFAULT_TIMEOUT_MS = 60_000;
/** How long a daemon that reported failure may take to exit before it is killed (ms). */
const EXIT_WAIT_MS = 5_000;

function open(path: string, flags: string, mode?: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (error) {
    throw stepFailed(`cannot open ${path}`, error);
  }
}

// fds 0-2 of the daemon, opened here so that EMFILE or a bad path fails the call, not the child.
function openStdio(o: DaemonizeOptions, opened: number[]): StdioOptions {
  const take = (path: string, flags: string, mode?: number): number => {
    const fd = open(path, flags, mode);
    opened.push(fd);
    return fd;
  };
  const devNull = o.noclose === true ? undefined : take('/dev/null', 'r+');
  const file = (path: string | undefined): number | 'inherit' =>
    path === undefined ? (devNull ?? 'inherit') : take(resolve(path), 'a', 0o640);
  return [devNull ?? 'inherit', file(o.stdout), file(o.stderr), 'pipe'];
}

// Resolves once the child exists; EMFILE/EAGAIN from uv_spawn arrive as 'error' before any fork.
function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolveSpawn, reject) => {
    child.once('spawn', () => resolveSpawn());
    child.once('error', (error) => reject(stepFailed('cannot spawn the daemon', error)));
  });
}

/** In the caller: spawn the daemon, wait for its handshake, exit. @throws DaemonizeError */
export async function runParent(o: DaemonizeOptions): Promise<never> {
  const opened: number[] = [];
  let child: ChildProcess;
  try {
    const stdio = openStdio(o, opened);
    if (o.pidFile !== undefined) probePidFile(resolve(o.pidFile));
    child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      detached: true,
      stdio,
      env: { ...process.env, [DAEMONIZE_MARKER]: String(HANDSHAKE_FD) },
    });
    await spawned(child);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const pipe = child.stdio[HANDSHAKE_FD] as Readable;
  const isWaiting = o.wait !== false;
  const outcome = await readHandshake(
    pipe,
    child,
    o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    (h) => 'ready' in h || (!isWaiting && 'started' in h),
  );
  pipe.destroy();
  if ('ready' in outcome || 'started' in outcome) {
    child.unref();
    process.exit(0);
  }
  if ('timeout' in outcome) killGroup(child);
  await settleFailedChild(child, exited, EXIT_WAIT_MS);
  // Whatever the daemon started before it failed goes with it (its session's process group).
  killGroup(child);
  process.stderr.write(`${basename(process.argv[1] ?? 'node')}: ${explain(outcome, o)}\n`);
  process.exit(1);
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left.
  }
}

function explain(h: Handshake, o: DaemonizeOptions): string {
  if ('error' in h) return h.error.message;
  if ('eof' in h) return `the daemon ${h.exit} before it was ready`;
  if (!('timeout' in h)) return 'the daemon is ready';
  return `the daemon was not ready within ${o.timeoutMs ?? DEFAULT_TIMEOUT_MS}ms; killed it`;
}
