// Starts one instance's main process: its own session and process group, its env, piped output.
import type { ChildProcess } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readlinkSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Command } from '../config/types.js';
import type { SpawnFailure } from '../core/exit.js';
import { spawnTracked } from './children.js';
import { openOutputPipe } from '../logs/output-pipe.js';
import { makePipe, setPipeSize } from './libc.js';

/**
 * Capacity asked for the stdout and stderr pipes (bytes): a burst of output waits there while
 * the daemon is busy, instead of stalling the service (the default is 64 KiB). Best effort.
 */
export const OUTPUT_PIPE_BYTES = 1024 * 1024;

/** Variables a supervisor above warden may have set, which must not leak into services. */
const SUPERVISOR_VARS = [
  'NOTIFY_SOCKET',
  'NOTIFICATION_FD',
  'LISTEN_FDS',
  'LISTEN_PID',
  'LISTEN_FDNAMES',
  'WATCHDOG_USEC',
  'WATCHDOG_PID',
  'WARDEN_DAEMON',
];

/**
 * The identity of an instance's stdout and stderr pipes (inode numbers, as `pipe:[INODE]` in
 * /proc/PID/fd), kept in state.json so that a later daemon can read them again.
 */
export interface OutputPipes {
  stdout: number;
  stderr: number;
}

const spawnedPipes = new WeakMap<ChildProcess, OutputPipes>();

/** The output pipes of a child made by spawnInstance. */
export function outputPipesOf(child: ChildProcess): OutputPipes | undefined {
  return spawnedPipes.get(child);
}

/** What to start, and where. */
export interface SpawnRequest {
  command: Command;
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment of the process. */
  env: Record<string, string>;
  /** Runs the command through this argv prefix (the cgroup wrapper), when set. */
  wrapper?: readonly string[];
  /** fds beyond 0-2 the process gets as pipes it writes to (`ready.fd`). */
  pipes?: readonly number[];
}

/** The environment of an instance: the daemon's, less supervisor variables, plus its own. */
export function instanceEnv(
  base: NodeJS.ProcessEnv,
  own: Record<string, string>,
  service: string,
  index: number,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  for (const k of SUPERVISOR_VARS) delete env[k];
  return { ...env, ...own, WARDEN_SERVICE: service, WARDEN_INSTANCE: String(index) };
}

/**
 * Spawns the process detached (setsid: its own session and process group, no controlling
 * terminal), stdin on /dev/null, stdout and stderr on pipes to the daemon (real pipes, so that
 * opening /dev/stdout works; read by `openOutputPipe` as `child.stdout` and `child.stderr`). The
 * daemon's own fds are all close-on-exec, so none leaks into it.
 *
 * The process gets its pipes opened read-write (through /proc/self/fd): it holds a read end
 * itself, so while no daemon reads (a daemon crash, `down --keep-services`) its writes fill the
 * pipe and then wait, instead of killing it with SIGPIPE; the next daemon reopens the pipes from
 * /proc/PID/fd (reopenOutputPipes) and reads what was kept.
 * @returns the child, whose `pid` is set on success; or a SpawnFailure known before spawning
 * (a missing cwd). Other failures (ENOENT, EACCES on the program) arrive as the child's `error`.
 */
export function spawnInstance(req: SpawnRequest): ChildProcess | SpawnFailure {
  try {
    if (!statSync(req.cwd).isDirectory()) {
      return { spawnError: 'ENOTDIR', path: req.cwd, message: `cwd ${req.cwd} is not a directory` };
    }
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'EIO';
    return { spawnError: code, path: req.cwd, message: `cannot use cwd ${req.cwd}: ${code}` };
  }
  const argv =
    req.command.kind === 'shell' ? ['/bin/sh', '-c', req.command.script] : req.command.argv;
  const [file = '/bin/sh', ...args] = [...(req.wrapper ?? []), ...argv];
  const out = outputPipe();
  let err: [number, number];
  try {
    err = outputPipe();
  } catch (error) {
    closeSync(out[0]);
    closeSync(out[1]);
    throw error;
  }
  let child: ChildProcess;
  try {
    child = spawnTracked(file, args, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: stdioFor(req.pipes ?? [], out[1], err[1]),
    });
  } catch (error) {
    closeSync(out[0]);
    closeSync(err[0]);
    throw error;
  } finally {
    // The child has its copies (or none, if it failed): EOF comes when its side closes.
    closeSync(out[1]);
    closeSync(err[1]);
  }
  spawnedPipes.set(child, { stdout: fstatSync(out[0]).ino, stderr: fstatSync(err[0]).ino });
  child.stdout = openOutputPipe(out[0]);
  child.stderr = openOutputPipe(err[0]);
  return child;
}

/**
 * Reads the output pipes of an adopted process again: opens /proc/PID/fd/1 and /2 for reading
 * when they are still the pipes `pipes` names (a process that redirected its own output is not
 * read). @returns a stream per pipe found (undefined for one that is not)
 */
export function reopenOutputPipes(
  pid: number,
  pipes: OutputPipes,
): { stdout: Socket | undefined; stderr: Socket | undefined } {
  const reopen = (fd: number, inode: number): Socket | undefined => {
    const path = `/proc/${pid}/fd/${fd}`;
    try {
      if (readlinkSync(path) !== `pipe:[${inode}]`) return undefined;
      return openOutputPipe(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    } catch {
      return undefined; // ENOENT: gone; EACCES: not ours to read
    }
  };
  return { stdout: reopen(1, pipes.stdout), stderr: reopen(2, pipes.stderr) };
}

// A pipe for stdout or stderr, at OUTPUT_PIPE_BYTES if the kernel allows (pipe-max-size): the
// read end, and a read-write end for the child (see spawnInstance).
function outputPipe(): [number, number] {
  const [read, write] = makePipe();
  try {
    setPipeSize(read, OUTPUT_PIPE_BYTES);
  } catch {
    // EPERM (above pipe-max-size, or the user's pipe quota spent): the default size works too
  }
  try {
    // Opening the pipe through /proc gives a new read-write description of it (close-on-exec).
    return [read, openSync(`/proc/self/fd/${write}`, constants.O_RDWR)];
  } catch (error) {
    closeSync(read);
    throw error;
  } finally {
    closeSync(write);
  }
}

/** Turns the `error` event of a failed spawn into a SpawnFailure. */
export function toSpawnFailure(error: Error, command: Command): SpawnFailure {
  const code = 'code' in error ? String(error.code) : 'EIO';
  const path = command.kind === 'shell' ? '/bin/sh' : command.argv[0];
  return { spawnError: code, path, message: error.message };
}

// stdin on /dev/null, stdout and stderr on the given fds, a pipe at each extra fd (gaps closed).
function stdioFor(
  pipes: readonly number[],
  stdout: number,
  stderr: number,
): ('ignore' | 'pipe' | number)[] {
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', stdout, stderr];
  for (let fd = 3; fd <= Math.max(2, ...pipes); fd++)
    stdio.push(pipes.includes(fd) ? 'pipe' : 'ignore');
  return stdio;
}
