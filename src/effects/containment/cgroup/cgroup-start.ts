// Starting a process inside its leaf cgroup. Best: born there, through warden-spawner, the
// daemon's fork server (native/: clone3 with CLONE_INTO_CGROUP and CLONE_PARENT, so the daemon is
// still its parent). Else (no C compiler at build, a kernel without CLONE_INTO_CGROUP, the server
// down, a request it cannot take): a tiny sh wrapper that writes itself into cgroup.procs and
// then execs the command, which costs a cgroup migration (an RCU grace period: 10 to 20 ms after
// a quiet spell). Either way the process is in the cgroup before the command runs, so not even
// an immediate grandchild escapes. A start as another user (config `user`...) without the
// server execs setpriv(1) from the wrapper, or from posix_spawn outside cgroups (setpriv.ts).
import { closeSync, readFileSync } from 'node:fs';
import { makePipe } from '../../ffi/fds.js';
import { posixSpawn, type PosixSpawnRequest } from '../../spawn/posix-spawn.js';
import { ForkServer, isSpawnerBuilt } from './spawner.js';
import type { SpawnPrivileges } from '../../spawn/privileges.js';
import { setprivArgv, umaskCommand } from '../../spawn/setpriv.js';
import { killCgroup } from './cgroup-kill.js';
import { underPrlimit } from '../../spawn/rlimits.js';
import type { Rlimit } from '../../../config/types.js';

// $1 is the cgroup; the rest is the command. Exit 125 (as env(1) does) when the move fails.
const WRAPPER =
  'echo $$ > "$1/cgroup.procs" || { echo "warden: cannot join cgroup $1" >&2; exit 125; }; shift; exec "$@"';

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

/** A cgroup an instance starts in, and who starts it there (SpawnRequest.cgroup). */
export interface CgroupPlacement {
  /** The leaf cgroup directory; null for none of warden's (process-group containment). */
  path: string | null;
  starter: CgroupStarter;
}

/**
 * How one containment starts processes in cgroups: it owns the fork server, knows whether the
 * kernel can clone into a cgroup, and which leaves were killed since their last start.
 *
 * cgroup.kill leaves a mark: on Linux 6.18 (seen here), once cgroup.kill was written, every
 * process later cloned into that cgroup with CLONE_INTO_CGROUP is SIGKILLed at birth (a process
 * moved in through cgroup.procs is not); a cgroup made anew is clean. So a killed leaf is made
 * anew before its next start (CgroupTree.prepare asks takeKilled).
 */
export class CgroupStarter {
  readonly #killed = new Set<string>();
  readonly #server = new ForkServer((cgroup) => this.#killed.add(cgroup));
  /** False once the kernel said it cannot clone into a cgroup: every start takes the wrapper. */
  #canClone = true;

  /** How instances are placed in their cgroups: `clone3` (warden-spawner) or `wrapper` (sh). */
  get mode(): 'clone3' | 'wrapper' {
    return this.#canClone && isSpawnerBuilt() ? 'clone3' : 'wrapper';
  }

  /** The fork server's pid while one runs (tests). */
  get serverPid(): number | undefined {
    return this.#server.pid;
  }

  /** SIGKILLs every process in the cgroup directory `cgroup` (cgroup.kill) and marks it killed. */
  kill(cgroup: string): void {
    killCgroup(cgroup);
    this.#killed.add(cgroup);
  }

  /** True once for a cgroup killed since the last call: it must be made anew before a start. */
  takeKilled(cgroup: string): boolean {
    return this.#killed.delete(cgroup);
  }

  /** Ends the fork server (see ForkServer.close); later starts take the wrapper. */
  close(patienceMs?: number): Promise<void> {
    return this.#server.close(patienceMs);
  }

  /**
   * Starts `req` (as posixSpawn does) inside the cgroup directory `cgroup` (null: in none of
   * warden's, by posix_spawn), as `privileges` say: through warden-spawner (the fork server,
   * spawner.ts) when it was built and the kernel has CLONE_INTO_CGROUP (Linux 5.7), else through
   * the sh wrapper, which also takes the starts the server cannot serve (it is down, or the
   * request is too large for it); `how` forces the wrapper (not for a start with `privileges`,
   * which always tries the server first). Without the server, `privileges` are applied by
   * setpriv(1) (setpriv.ts), exec'd by the wrapper or posix_spawn'd. Through the server the
   * caller waits only for the fork, not for the exec: an exec failure is on `report` (see
   * ExecReport). `rlimits` are set before the exec: by the server, else by prlimit(1) in front of
   * the command (posix_spawn and the wrapper cannot).
   * @throws SyscallError: ENOENT, EACCES, ENOEXEC from the wrapper's execve; EAGAIN, ENOMEM, or
   * the cgroup's own errors from the clone; EAGAIN when the server died during the start (the leaf
   * was killed; a retry after CgroupTree.prepare makes it anew); Error with code ENOTSUP for
   * `privileges` that neither warden-spawner nor setpriv(1) is there to apply, or rlimits with
   * neither the server nor prlimit(1)
   */
  spawn(
    req: PosixSpawnRequest,
    cgroup: string | null,
    how: 'auto' | 'wrapper' = 'auto',
    privileges?: SpawnPrivileges,
    rlimits: readonly Rlimit[] = [],
  ): CgroupStart {
    if (privileges !== undefined) return this.#spawnAs(req, cgroup, privileges, rlimits);
    const limited = rlimits.length > 0;
    if (cgroup === null && !limited) return { pid: posixSpawn(req), report: undefined };
    if (how === 'auto' && (this.#canClone || cgroup === null)) {
      const served = this.#server.start(req, cgroup, undefined, rlimits);
      if (served === 'unavailable') {
        // the wrapper below, for this start
      } else if ('unsupported' in served) {
        if (cgroup !== null) this.#canClone = false;
      } else {
        return served;
      }
    }
    const run = limited ? underPrlimit(req.path, req.argv, rlimits) : req;
    if (cgroup === null) return { pid: posixSpawn({ ...req, ...run }), report: undefined };
    return this.#wrap(req, cgroup, [run.path, ...run.argv.slice(1)]);
  }

  // A start with privileges: warden-spawner changes them between fork and exec; without it the
  // command is exec'd through setpriv(1) and, for a umask, sh (setpriv.ts), with prlimit(1) in
  // front for rlimits: after the wrapper in a cgroup, straight from posix_spawn in none.
  #spawnAs(
    req: PosixSpawnRequest,
    cgroup: string | null,
    p: SpawnPrivileges,
    rlimits: readonly Rlimit[],
  ): CgroupStart {
    const served =
      cgroup !== null && !this.#canClone
        ? 'unavailable'
        : this.#server.start(req, cgroup, p, rlimits);
    if (served !== 'unavailable' && !('unsupported' in served)) return served;
    if (served !== 'unavailable') this.#canClone = false;
    const why =
      served !== 'unavailable'
        ? `clone3: ${served.unsupported}`
        : !isSpawnerBuilt()
          ? 'warden-spawner was not built (npm ci needs a C compiler)'
          : cgroup !== null && !this.#canClone
            ? 'this kernel cannot clone into a cgroup'
            : 'warden-spawner is not running';
    const privileged = setprivArgv([req.path, ...req.argv.slice(1)], p, why);
    // Limits set while still root (a hard limit may be raised only then), kept across setpriv.
    const limited =
      rlimits.length === 0
        ? undefined
        : underPrlimit(privileged[0] ?? req.path, privileged, rlimits);
    const argv = limited === undefined ? privileged : [limited.path, ...limited.argv.slice(1)];
    const umask = umaskCommand(p);
    if (cgroup !== null) return this.#wrap(req, cgroup, argv, umask);
    if (umask === '')
      return { pid: posixSpawn({ ...req, path: argv[0] ?? req.path, argv }), report: undefined };
    const sh = ['/bin/sh', '-c', `${umask}exec "$@"`, 'warden-umask', ...argv];
    return { pid: posixSpawn({ ...req, path: '/bin/sh', argv: sh }), report: undefined };
  }

  // The sh wrapper: joins `cgroup`, sets the umask `umask` says (umaskCommand), execs `argv`.
  #wrap(req: PosixSpawnRequest, cgroup: string, argv: readonly string[], umask = ''): CgroupStart {
    const sh = ['/bin/sh', '-c', `${umask}${WRAPPER}`, 'warden-cgroup', cgroup, ...argv];
    return { pid: posixSpawn({ ...req, path: '/bin/sh', argv: sh }), report: undefined };
  }

  /**
   * Runs `argv` (argv[0] a path) in the cgroup directory `cgroup` and reads its stdout and stderr
   * to EOF: the probe of containment at start-up. The process is reaped by the reaper (or stays a
   * zombie until the caller reaps it).
   * @returns its output, or the error that kept it from starting
   */
  run(cgroup: string, argv: readonly string[]): string | Error {
    const [read, write] = makePipe();
    try {
      const path = argv[0] ?? '/bin/true';
      let report: number | undefined;
      try {
        const fds = new Map([
          [1, write],
          [2, write],
        ]);
        ({ report } = this.spawn({ path, argv, env: {}, cwd: '/', fds }, cgroup));
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
}
