// Starts one instance's main process (posix_spawn): its own session and process group, its env,
// piped output, its exit status from the reaper.
import { EventEmitter } from 'node:events';
import { closeSync, fstatSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Command, LimitSpec, Rlimit } from '../../config/types.js';
import type { LastExit, SpawnFailure } from '../../core/exit.js';
import { openOutputReader } from './output-reader.js';
import { resolveProgram } from './find-program.js';
import { describeFdLimit, fdBudget, FDS_PER_START } from './fd-budget.js';
import { makePipe } from '../ffi/fds.js';
import { openFilesLimit } from '../ffi/process.js';
import { outputPipe, type OutputPipes } from './output-pipes.js';
import { posixSpawn, type PosixSpawnRequest } from './posix-spawn.js';
import type { CgroupPlacement, CgroupStart } from '../containment/cgroup/cgroup-start.js';
import { ExecReport } from './exec-report.js';
import type { SpawnPrivileges } from './privileges.js';
import { underPrlimit } from './rlimits.js';
import { reaper } from '../exit/reaper.js';
import { errnoOf, type SyscallError } from '../ffi/errno.js';
import { LISTEN_FDS_START, listenEnv, type PassedSocket } from './listen-fds.js';

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

/** The output pipes of a child made by spawnInstance (its `outputPipes`), for state.json. */
export function outputPipesOf(child: ServiceProcess): OutputPipes | undefined {
  return child.outputPipes;
}

/** What to start, and where. */
export interface SpawnRequest {
  command: Command;
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment of the process. */
  env: Record<string, string>;
  /** The leaf cgroup the process starts in, and its starter (cgroup containment), when set. */
  cgroup?: CgroupPlacement;
  /** fds beyond 0-2 the process gets as pipes it writes to (`ready.fd`). */
  pipes?: readonly number[];
  /** Who it starts as (config `user`, `umask`...): needs `cgroup`'s starter (warden-spawner). */
  privileges?: SpawnPrivileges;
  /** rlimits set before the exec (config `limits`): by `cgroup`'s starter, else prlimit(1). */
  rlimits?: readonly Rlimit[];
  /** The cgroup limits of its leaf (config `limits`), which a cgroup tree writes at `prepare`. */
  limits?: LimitSpec;
  /** Listening sockets it gets as fds 3.., with LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES. */
  sockets?: readonly PassedSocket[];
}

/**
 * The environment of an instance: the daemon's, less supervisor variables, then `account` (the
 * HOME, USER, LOGNAME and SHELL of the user it runs as), then its own.
 */
export function instanceEnv(
  base: NodeJS.ProcessEnv,
  own: Record<string, string>,
  service: string,
  index: number,
  account: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  for (const k of SUPERVISOR_VARS) delete env[k];
  return { ...env, ...account, ...own, WARDEN_SERVICE: service, WARDEN_INSTANCE: String(index) };
}

/** A spawned instance's main process, as the runner sees it. */
export interface ServiceProcess {
  readonly pid: number;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Read ends of its pipes by fd number in the process: 1, 2, and the `ready.fd` ones. */
  readonly stdio: readonly (Readable | null | undefined)[];
  /**
   * The identity of its stdout and stderr pipes, which a later daemon finds them by
   * (reopenOutputPipes); undefined for a process that spawnInstance did not make (tests).
   */
  readonly outputPipes?: OutputPipes;
  /**
   * `listener` gets how the process ended, once it has (and it is reaped): its exit status, or a
   * SpawnFailure when its exec failed after the fork was reported (a start through warden-spawner).
   */
  once(event: 'exit', listener: (end: LastExit) => void): unknown;
  /** Stops reporting its end (the daemon leaves it running: `down --keep-services`). */
  unref(): void;
}

class SpawnedProcess extends EventEmitter implements ServiceProcess {
  /** The exec report of a cgroup start (see CgroupStarter.spawn): how its exec went. */
  readonly #report: ExecReport | undefined;
  /** Reaped (its pid may name another process now), or let go by unref. */
  #isDone = false;

  constructor(
    readonly pid: number,
    readonly stdio: readonly (Readable | null | undefined)[],
    readonly outputPipes: OutputPipes,
    program: string,
    cwd: string,
    report: ExecReport | undefined,
  ) {
    super();
    this.#report = report;
    reaper.watch(pid, (status) => {
      if (this.#isDone) return;
      this.#isDone = true;
      // A failed exec wrote its line before the process ended; a successful one wrote nothing.
      const error = this.#report?.finish();
      const failure: SpawnFailure | undefined =
        error === undefined ? undefined : startFailure(error, program, cwd);
      this.emit('exit', failure ?? status);
    });
  }

  get stdout(): Readable | null {
    return this.stdio[1] ?? null;
  }

  get stderr(): Readable | null {
    return this.stdio[2] ?? null;
  }

  unref(): void {
    if (this.#isDone) return;
    this.#isDone = true;
    reaper.unwatch(this.pid);
    this.#report?.finish();
  }
}

/**
 * Spawns the process with posix_spawn(3) in a session of its own (setsid: its own process
 * group, no controlling terminal), stdin on /dev/null, stdout and stderr on pipes to the daemon
 * (real pipes, so that opening /dev/stdout works; read by `openOutputReader`), a pipe at each fd of
 * `req.pipes`, and no other fd. The program is looked up in the instance's own PATH; a file
 * that is not an executable format runs under /bin/sh, as execvp(3) does. With `req.cgroup` it
 * is born in that cgroup (CgroupStarter.spawn). Its exit status comes from the reaper (waitid(2)),
 * signal and core dump included.
 *
 * The process gets its pipes opened read-write (through /proc/self/fd): it holds a read end
 * itself, so while no daemon reads (a daemon crash, `down --keep-services`) its writes fill the
 * pipe and then wait, instead of killing it with SIGPIPE; the next daemon reopens the pipes from
 * /proc/PID/fd (reopenOutputPipes) and reads what was kept.
 * A start whose fds would not leave FD_RESERVE free (fd-budget.ts) is refused with EMFILE, and
 * an EMFILE says the limit (`detail`).
 * @returns the process; or a SpawnFailure (ENOENT, EACCES, ENOTDIR for a cwd or a program,
 * EMFILE, EAGAIN...): nothing was started then
 */
export function spawnInstance(req: SpawnRequest): ServiceProcess | SpawnFailure {
  try {
    if (!statSync(req.cwd).isDirectory()) {
      return { spawnError: 'ENOTDIR', path: req.cwd, message: `cwd ${req.cwd} is not a directory` };
    }
  } catch (error) {
    const code = errnoOf(error) ?? 'EIO';
    return { spawnError: code, path: req.cwd, message: `cannot use cwd ${req.cwd}: ${code}` };
  }
  const argv =
    req.command.kind === 'shell' ? ['/bin/sh', '-c', req.command.script] : [...req.command.argv];
  const program = argv[0] ?? '/bin/sh';
  const path = resolveProgram(program, req.env.PATH, req.cwd);
  if (typeof path !== 'string') return path;
  const limit = fdBudget.shortage(FDS_PER_START + (req.pipes?.length ?? 0));
  if (limit !== undefined) return fdFailure(program, limit);
  // Every fd made here is close-on-exec: the child gets only its dup2'd copies.
  const readEnds: number[] = [];
  const fds = new Map<number, number>();
  let started: CgroupStart;
  try {
    for (const fd of [1, 2, ...(req.pipes ?? [])]) {
      const [read, write] = fd <= 2 ? outputPipe() : makePipe();
      readEnds[fd] = read;
      fds.set(fd, write);
    }
    // The daemon keeps its sockets: the child gets its own copies at 3.. (never closed here).
    const sockets = req.sockets ?? [];
    sockets.forEach((s, i) => fds.set(LISTEN_FDS_START + i, s.fd));
    const env = sockets.length === 0 ? req.env : { ...req.env, ...listenEnv(sockets) };
    started = spawnOrRunScript(path, argv, { ...req, env }, fds);
  } catch (error) {
    for (const fd of readEnds) if (fd !== undefined) closeSync(fd);
    const code = errnoOf(error) ?? 'EIO';
    if (code === 'EMFILE') return fdFailure(program, openFilesLimit().soft);
    const message = error instanceof Error ? error.message : String(error);
    return { spawnError: code, path: program, message: `spawn ${program}: ${message}` };
  } finally {
    // The child has its copies (or none, if it failed): EOF comes when its side closes.
    for (const [n, write] of fds) if (readEnds[n] !== undefined) closeSync(write);
  }
  const stdio = readEnds.map((fd, n) =>
    fd === undefined ? undefined : n <= 2 ? openOutputReader(fd) : openNotifyPipe(fd),
  );
  const report =
    started.report === undefined ? undefined : new ExecReport(started.report, started.reported);
  const pipes: OutputPipes = {
    stdout: fstatSync(readEnds[1] ?? -1).ino,
    stderr: fstatSync(readEnds[2] ?? -1).ino,
  };
  return new SpawnedProcess(started.pid, stdio, pipes, program, req.cwd, report);
}

// A step of the new process that failed before or at its exec (warden-spawner's report): a cwd
// the service's user may not enter is about the cwd, not the program.
function startFailure(error: SyscallError, program: string, cwd: string): SpawnFailure {
  if (error.syscall === 'chdir')
    return {
      spawnError: error.code,
      path: cwd,
      message: `cannot enter cwd ${cwd}: ${error.code}`,
      detail: "as the service's user",
    };
  return { spawnError: error.code, path: program, message: `spawn ${program}: ${error.message}` };
}

// posix_spawn, and for a file that is no executable format (ENOEXEC) /bin/sh FILE, as execvp.
function spawnOrRunScript(
  path: string,
  argv: string[],
  req: SpawnRequest,
  fds: ReadonlyMap<number, number>,
): CgroupStart {
  const start = (r: PosixSpawnRequest): CgroupStart => {
    if (req.cgroup !== undefined)
      return req.cgroup.starter.spawn(r, req.cgroup.path, 'auto', req.privileges, req.rlimits);
    if (req.privileges !== undefined)
      throw Object.assign(new Error('privileges need a starter (warden-spawner)'), {
        code: 'ENOTSUP',
      });
    const limited = req.rlimits !== undefined && req.rlimits.length > 0;
    const run = limited ? { ...r, ...underPrlimit(r.path, r.argv, req.rlimits ?? []) } : r;
    return { pid: posixSpawn(run), report: undefined };
  };
  const { env, cwd } = req;
  try {
    return start({ path, argv, env, cwd, fds });
  } catch (error) {
    if (errnoOf(error) !== 'ENOEXEC') throw error;
    return start({ path: '/bin/sh', argv: ['/bin/sh', path, ...argv.slice(1)], env, cwd, fds });
  }
}

// No fd for the start (or none to spare): EMFILE, with the limit that says why.
function fdFailure(program: string, limit: number): SpawnFailure {
  const detail = describeFdLimit(limit);
  return {
    spawnError: 'EMFILE',
    path: program,
    message: `spawn ${program}: EMFILE (${detail})`,
    detail,
  };
}

// The read end of a `ready.fd` pipe, read by its `data` events.
function openNotifyPipe(fd: number): Readable {
  return new Socket({ fd, readable: true, writable: false });
}
