// The daemon's side of warden-spawner (native/warden-spawner.c), its fork server for cgroup
// starts: started on first use, it receives each start as one message with the instance's fds
// and answers with the pid. A start costs the daemon a send and a receive (0.2 ms, median of
// 50) instead of a posix_spawn of a helper that waits for its exec (0.8 ms).
import { accessSync, closeSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SyscallError } from '../../ffi/errno.js';
import { makePipe } from '../../ffi/fds.js';
import { posixSpawn, type PosixSpawnRequest } from '../../spawn/posix-spawn.js';
import { credsField, type SpawnPrivileges } from '../../spawn/privileges.js';
import { isWithheld } from '../../spawn/withheld-helpers.js';
import { rlimitsField } from '../../spawn/rlimits.js';
import type { Rlimit } from '../../../config/types.js';
import { killCgroup } from './cgroup-kill.js';
import { readProc } from '../proc.js';
import { reaper } from '../../exit/reaper.js';
import { receiveMessage, sendWithFds, seqpacketPair } from '../../ffi/seqpacket.js';

/** Where `npm run build` puts warden-spawner (scripts/native.ts); absent without a C compiler. */
export const WARDEN_SPAWNER = fileURLToPath(
  new URL('../../../../native/warden-spawner', import.meta.url),
);

/**
 * clone3 errors that say this kernel cannot do it (ENOSYS before Linux 5.3, EINVAL without
 * CLONE_INTO_CGROUP before 5.7, EPERM or ENOSYS from a seccomp filter); any other error (EACCES,
 * EBUSY, EOPNOTSUPP) is about the one cgroup, and is that start's.
 */
export const UNSUPPORTED: ReadonlySet<string> = new Set(['ENOSYS', 'EINVAL', 'E2BIG', 'EPERM']);

/** The fd warden-spawner reads its requests on (native/warden-spawner.c). */
const SERVER_FD = 3;
/** Errors of a send or receive that say the server is gone. */
const DIED: ReadonlySet<string> = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED']);
/** Ends in a row (crashes, refusals to start) after which it is not started again. */
const MAX_FAILURES = 3;

/** What a start through the server gave. */
export type ServerStart =
  | { pid: number; report: number }
  /** No server could serve it (none built, or it died): nothing was started. */
  | 'unavailable'
  /** The kernel cannot clone into a cgroup (errno in `code`): nothing was started. */
  | { unsupported: string };

/**
 * True when `npm run build` built warden-spawner (it needs a C compiler), and no test withheld
 * it (WARDEN_TEST_WITHOUT, withheld-helpers.ts).
 */
export function isSpawnerBuilt(): boolean {
  if (isWithheld('warden-spawner')) return false;
  try {
    accessSync(WARDEN_SPAWNER, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * One warden-spawner: started on first use, started again when it dies (at most MAX_FAILURES
 * times in a row), ended by close(). A cgroup containment owns one (through its CgroupStarter).
 */
export class ForkServer {
  #server: { socket: number; pid: number } | undefined;
  #failures = 0;

  /** `leafKilled` is told of a leaf whose processes a dying server may have left: it was killed. */
  constructor(private readonly leafKilled: (cgroup: string) => void) {}

  /** The server's pid while one runs (tests). */
  get pid(): number | undefined {
    return this.#server?.pid;
  }

  // The running server, started if need be; undefined when there is none to be had.
  #connect(): { socket: number; pid: number } | undefined {
    if (this.#server !== undefined || this.#failures >= MAX_FAILURES) return this.#server;
    if (!isSpawnerBuilt()) {
      this.#failures = MAX_FAILURES;
      return undefined;
    }
    const [mine, theirs] = seqpacketPair();
    try {
      // Its stdout and stderr on the daemon's own stderr (warden.log): a C library abort shows.
      const fds = new Map([
        [1, 2],
        [2, 2],
        [SERVER_FD, theirs],
      ]);
      const argv = ['warden-spawner'];
      this.#server = {
        socket: mine,
        pid: posixSpawn({ path: WARDEN_SPAWNER, argv, env: {}, cwd: '/', fds }),
      };
    } catch {
      closeSync(mine);
      this.#failures++;
    } finally {
      closeSync(theirs);
    }
    return this.#server;
  }

  // The server is gone or broken: the next start starts another (a few times at most).
  #drop(): void {
    if (this.#server === undefined) return;
    closeSync(this.#server.socket);
    this.#server = undefined;
    this.#failures++;
  }

  /**
   * Starts `req` in the cgroup directory `cgroup` through the server (see the request format in
   * native/warden-spawner.c), as `privileges` say and with `rlimits` set before the exec. The new process writes `exec ERRNO` on the report pipe if its exec
   * fails, before it exits.
   * @throws SyscallError: EINVAL for a NUL byte in an argument; the cgroup's own errors from the
   * clone (EACCES, EBUSY...), ENOMEM; EAGAIN, also when the server died during the start (its
   * leaf was killed: a retry after CgroupTree.prepare makes it anew)
   */
  start(
    req: PosixSpawnRequest,
    cgroup: string | null,
    privileges?: SpawnPrivileges,
    rlimits?: readonly Rlimit[],
  ): ServerStart {
    const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
    const fields = [
      cgroup ?? '',
      req.path,
      req.cwd,
      credsField(privileges),
      [...req.fds.keys()].join(','),
      String(req.argv.length),
    ];
    fields.push(...req.argv, ...env, rlimitsField(rlimits));
    if (fields.some((f) => f.includes('\0')))
      throw new SyscallError('spawn (a NUL byte in an argument)', 22);
    const s = this.#connect();
    if (s === undefined) return 'unavailable';
    const [read, write] = makePipe();
    let reply: Buffer | null;
    try {
      sendWithFds(s.socket, Buffer.from(`${fields.join('\0')}\0`), [...req.fds.values(), write]);
      reply = receiveMessage(s.socket);
    } catch (error) {
      // EMSGSIZE (an environment over the socket buffer), ENOBUFS...: this start goes another way.
      if (!(error instanceof SyscallError && DIED.has(error.code))) {
        closeSync(read);
        return 'unavailable';
      }
      reply = null;
    } finally {
      closeSync(write);
    }
    const [what = '', value = ''] = (reply?.toString('latin1') ?? '').split(' ');
    const n = Number(value);
    if (what === 'pid' && n > 0) {
      this.#failures = 0;
      return { pid: n, report: read };
    }
    closeSync(read);
    if (what === 'bad') return 'unavailable'; // a request it cannot take (fds past its limits)
    if (what !== 'clone') {
      // It died, maybe after its fork: what it started there must not run on unwatched, and the
      // killed leaf takes no new process until it is made anew: this start is tried again later.
      if (cgroup !== null) {
        killCgroup(cgroup);
        this.leafKilled(cgroup);
      }
      this.#drop();
      throw Object.assign(new Error('warden-spawner ended during the start; tried again later'), {
        code: 'EAGAIN',
      });
    }
    const error = new SyscallError('clone3(CLONE_INTO_CGROUP)', n);
    if (UNSUPPORTED.has(error.code)) return { unsupported: error.code };
    throw error;
  }

  /**
   * Ends the server: its socket closes, it exits, and this resolves once it is reaped (or after
   * `patienceMs`), so that no helper outlives the daemon. No server is started after this.
   */
  async close(patienceMs = 1000): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    this.#failures = MAX_FAILURES;
    if (s === undefined) return;
    // Not our child any more (it died and was reaped): nothing to wait for.
    const isOurs = readProc(s.pid)?.ppid === process.pid;
    const gone = new Promise<void>((resolve) => {
      if (!isOurs) return resolve();
      reaper.watch(s.pid, () => resolve());
    });
    closeSync(s.socket);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, patienceMs)));
    await Promise.race([gone, late]);
    clearTimeout(timer);
    reaper.unwatch(s.pid);
  }
}
