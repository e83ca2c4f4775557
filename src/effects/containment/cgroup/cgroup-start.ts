// Starting a process inside its leaf cgroup. Best: born there, through warden-spawner or
// warden-exec (native/: clone3 with CLONE_INTO_CGROUP and CLONE_PARENT, so the daemon is still
// its parent). Else: a tiny sh wrapper that writes itself into cgroup.procs and then execs the
// command, which costs a cgroup migration (an RCU grace period: 10 to 20 ms after a quiet
// spell). Either way the process is in the cgroup before the command runs, so not even an
// immediate grandchild escapes.
import { accessSync, closeSync, constants, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SyscallError } from '../../ffi/errno.js';
import { makePipe } from '../../ffi/fds.js';
import { posixSpawn, type PosixSpawnRequest } from '../../spawn/posix-spawn.js';
import { killCgroup } from './cgroup-kill.js';
import { spawnThroughServer, UNSUPPORTED } from './spawner.js';

/** Where `npm run build` puts warden-exec (scripts/native.ts); absent where no C compiler was. */
export const WARDEN_EXEC = fileURLToPath(
  new URL('../../../../native/warden-exec', import.meta.url),
);

// $1 is the cgroup; the rest is the command. Exit 125 (as env(1) does) when the move fails.
const WRAPPER =
  'echo $$ > "$1/cgroup.procs" || { echo "warden: cannot join cgroup $1" >&2; exit 125; }; shift; exec "$@"';

let helper: 'unknown' | 'usable' | 'unusable' = 'unknown';

/** How instances are placed in their cgroups: `clone3` (warden-exec) or `wrapper` (sh). */
export function cgroupStartMode(): 'clone3' | 'wrapper' {
  return isHelperUsable() ? 'clone3' : 'wrapper';
}

function isHelperUsable(): boolean {
  if (helper === 'unknown') {
    try {
      accessSync(WARDEN_EXEC, constants.X_OK);
      helper = 'usable';
    } catch {
      helper = 'unusable';
    }
  }
  return helper === 'usable';
}

/** A process started in a cgroup. */
export interface CgroupStart {
  pid: number;
  /**
   * The read end of the start's report, where the new process writes `exec ERRNO` if its exec
   * fails after all (then exits 127): an ExecReport reads it (exec-report.ts); undefined when the
   * exec already happened (the wrapper).
   */
  report: number | undefined;
  /** What of the report was read already (a failed exec's line can come before the pid). */
  reported?: string;
}

/**
 * Starts `req` (as posixSpawn does) inside the cgroup directory `cgroup`: through warden-spawner
 * (the fork server, spawner.ts) or else warden-exec when they were built and the kernel has
 * CLONE_INTO_CGROUP (Linux 5.7), else through the sh wrapper; `how` forces one of the last two.
 * Through either helper the caller waits only for the fork, not for the exec: an exec failure
 * is on `report` (see ExecReport).
 * @throws SyscallError: ENOENT, EACCES, ENOEXEC from the wrapper's execve; EAGAIN, ENOMEM, or
 * the cgroup's own errors from the clone; EAGAIN when warden-exec ended without a word (the
 * leaf was killed; a retry after CgroupTree.prepare makes it anew)
 */
export function spawnInCgroup(
  req: PosixSpawnRequest,
  cgroup: string,
  how: 'auto' | 'helper' | 'wrapper' = 'auto',
): CgroupStart {
  if (how === 'auto' && helper !== 'unusable') {
    const served = spawnThroughServer(req, cgroup);
    if (served === 'unavailable') {
      // warden-exec below, for this start
    } else if ('unsupported' in served) {
      helper = 'unusable';
    } else {
      return served;
    }
  }
  if (how !== 'wrapper' && isHelperUsable()) {
    const started = spawnThroughHelper(req, cgroup);
    if (started !== 'unsupported') return started;
    helper = 'unusable';
  }
  const argv = ['/bin/sh', '-c', WRAPPER, 'warden-cgroup', cgroup, req.path, ...req.argv.slice(1)];
  return { pid: posixSpawn({ ...req, path: '/bin/sh', argv }), report: undefined };
}

// warden-exec's report (native/warden-exec.c): `pid PID`, then maybe `exec ERRNO`; or `clone ERRNO`.
function spawnThroughHelper(req: PosixSpawnRequest, cgroup: string): CgroupStart | 'unsupported' {
  const reportFd = Math.max(2, ...req.fds.keys()) + 1;
  const [read, write] = makePipe();
  let line: string;
  let early = '';
  try {
    const fds = new Map([...req.fds, [reportFd, write]]);
    const argv = ['warden-exec', String(reportFd), cgroup, req.path, ...req.argv];
    try {
      posixSpawn({ ...req, path: WARDEN_EXEC, argv, fds });
    } finally {
      closeSync(write);
    }
    // The first line comes right after the fork: a few hundred µs, an exec of warden-exec. A
    // new process whose exec failed at once may have written its line before that one.
    line = readLine(read);
    if (line.startsWith('exec ')) {
      early = `${line}\n`;
      line = readLine(read);
    }
  } catch (error) {
    closeSync(read);
    // ENOEXEC: warden-exec was built for another machine. (ENOENT or EACCES here may be the
    // request's cwd, which posix_spawn enters first: those are the start's own errors.)
    if (error instanceof SyscallError && error.code === 'ENOEXEC') return 'unsupported';
    throw error;
  }
  const [what = '', value = ''] = line.trim().split(' ');
  const n = Number(value);
  if (what === 'pid' && n > 0) return { pid: n, report: read, reported: early };
  closeSync(read);
  if (what === 'clone') {
    const error = new SyscallError('clone3(CLONE_INTO_CGROUP)', n);
    if (UNSUPPORTED.has(error.code)) return 'unsupported';
    throw error;
  }
  // Killed before it could say (after its fork, maybe): whatever it started must not run on.
  killCgroup(cgroup);
  throw Object.assign(new Error(`warden-exec ended without a report (${JSON.stringify(line)})`), {
    code: 'EAGAIN',
  });
}

// Reads the blocking pipe `fd` up to the first newline (one byte at a time: what follows it is
// the caller's to read later) or EOF.
function readLine(fd: number): string {
  const byte = Buffer.alloc(1);
  let text = '';
  while (readSync(fd, byte, 0, 1, null) === 1) {
    const c = byte.toString('latin1');
    if (c === '\n') return text;
    text += c;
  }
  return text;
}

/**
 * Runs `argv` (argv[0] a path) in the cgroup directory `cgroup` and reads its stdout and stderr
 * to EOF: the probe of containment at start-up. The process is reaped by the reaper (or stays a
 * zombie until the caller reaps it).
 * @returns its output, or the error that kept it from starting
 */
export function runInCgroup(cgroup: string, argv: readonly string[]): string | Error {
  const [read, write] = makePipe();
  try {
    const path = argv[0] ?? '/bin/true';
    let report: number | undefined;
    try {
      const fds = new Map([
        [1, write],
        [2, write],
      ]);
      ({ report } = spawnInCgroup({ path, argv, env: {}, cwd: '/', fds }, cgroup));
    } finally {
      closeSync(write);
    }
    if (report !== undefined) closeSync(report);
    return readFileSync(read, 'utf8');
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    closeSync(read);
  }
}
