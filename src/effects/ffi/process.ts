// Processes through libc: child subreaper, waiting for children, pidfds, the open files limit,
// and giving freed C heap back to the system.
import { constants } from 'node:os';
import { SyscallError } from './errno.js';
import { check, lastErrno, libc } from './libc.js';

const PR_SET_CHILD_SUBREAPER = 36;

/**
 * Makes this process a child subreaper (prctl(2), PR_SET_CHILD_SUBREAPER): orphaned descendants
 * are reparented to it instead of to PID 1, so it can reap them.
 * @throws SyscallError
 */
export function becomeSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/** malloc_trim(3): gives the C heap's free memory back to the system (freed Buffers stay otherwise). */
export function trimMalloc(): void {
  libc().malloc_trim(0);
}

const WNOHANG = 1;

/**
 * waitpid(2) with WNOHANG on one pid.
 * @returns the raw wait status when `pid` had ended and is now reaped, null when it still runs
 * @throws SyscallError (ECHILD when it is not our child, or already reaped)
 */
export function reapNoHang(pid: number): number | null {
  const status = [0];
  const r = check('waitpid', libc().waitpid(pid, status, WNOHANG));
  return r === 0 ? null : (status[0] ?? 0);
}

/** What waitid(2) tells of a child that ended: si_code (CLD_EXITED...) and si_status. */
export interface ChildExit {
  pid: number;
  /** CLD_EXITED (1), CLD_KILLED (2) or CLD_DUMPED (3). */
  code: number;
  /** The exit code for CLD_EXITED, else the signal number. */
  status: number;
}

const P_ALL = 0;
const P_PID = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;

/**
 * waitid(2) with WEXITED | WNOHANG: a child that has ended, reaped, or with `peek` only looked
 * at (WNOWAIT: it stays a zombie, and the next call sees it again).
 * @param pid the child to wait for, or undefined for any child
 * @returns null when no such child has ended yet, or none is left (ECHILD)
 * @throws SyscallError for anything else (EINVAL)
 */
export function waitExited(pid: number | undefined, peek = false): ChildExit | null {
  // siginfo_t is 128 bytes; on Linux si_pid is at byte 16, si_status at 24 (sigaction(2)).
  const info = new Int32Array(32);
  const options = WEXITED | WNOHANG | (peek ? WNOWAIT : 0);
  const r = libc().waitid(pid === undefined ? P_ALL : P_PID, pid ?? 0, info, options);
  if (r === -1) {
    const errno = lastErrno();
    if (errno === constants.errno.ECHILD) return null;
    throw new SyscallError('waitid', errno);
  }
  const found = info[4] ?? 0;
  return found === 0 ? null : { pid: found, code: info[2] ?? 0, status: info[6] ?? 0 };
}

// x86_64 and aarch64 share these numbers (the generic syscall table, since Linux 5.3).
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;

/**
 * Opens a pidfd for `pid` (pidfd_open(2)); it refers to that very process even after the pid is
 * reused. @returns the fd, or null when the process no longer exists (ESRCH)
 * @throws SyscallError (ENOSYS before Linux 5.3, EMFILE...)
 */
export function pidfdOpen(pid: number): number | null {
  const fd = libc().syscall(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0);
  if (fd >= 0) return fd;
  const errno = lastErrno();
  if (errno === constants.errno.ESRCH) return null;
  throw new SyscallError('pidfd_open', errno);
}

/**
 * Sends signal number `signo` through a pidfd (pidfd_send_signal(2)).
 * @returns false when the process has exited (ESRCH)
 * @throws SyscallError for other failures
 */
export function pidfdSendSignal(pidfd: number, signo: number): boolean {
  const r = libc().syscall(
    SYS_PIDFD_SEND_SIGNAL,
    'int',
    pidfd,
    'int',
    signo,
    'void *',
    null,
    'uint',
    0,
  );
  if (r === 0) return true;
  const errno = lastErrno();
  if (errno === constants.errno.ESRCH) return false;
  throw new SyscallError('pidfd_send_signal', errno);
}

const RLIMIT_NOFILE = 7;

/** RLIMIT_NOFILE: the soft limit (what open(2) and pipe(2) obey) and the hard limit. */
export interface OpenFilesLimit {
  /** One more than the highest fd number the process may open. */
  soft: number;
  /** The ceiling an unprivileged process may raise `soft` to. */
  hard: number;
}

// struct rlimit is two rlim_t (unsigned 64 bits); RLIM_INFINITY (all ones) reads as a huge number.
function readLimits(buf: Buffer): OpenFilesLimit {
  const cap = (n: bigint): number =>
    Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n);
  return { soft: cap(buf.readBigUInt64LE(0)), hard: cap(buf.readBigUInt64LE(8)) };
}

/** The open files limit of this process (getrlimit(2), RLIMIT_NOFILE). @throws SyscallError */
export function openFilesLimit(): OpenFilesLimit {
  const buf = Buffer.alloc(16);
  check('getrlimit(RLIMIT_NOFILE)', libc().getrlimit(RLIMIT_NOFILE, buf));
  return readLimits(buf);
}

/**
 * Raises the soft open files limit to the hard one (setrlimit(2), RLIMIT_NOFILE), as servers do
 * at start-up; the hard limit is left as it is.
 * @returns the limits now in force
 * @throws SyscallError (EPERM, EINVAL)
 */
export function raiseOpenFilesLimit(): OpenFilesLimit {
  const buf = Buffer.alloc(16);
  check('getrlimit(RLIMIT_NOFILE)', libc().getrlimit(RLIMIT_NOFILE, buf));
  if (buf.readBigUInt64LE(0) >= buf.readBigUInt64LE(8)) return readLimits(buf);
  buf.copy(buf, 0, 8, 16);
  check('setrlimit(RLIMIT_NOFILE)', libc().setrlimit(RLIMIT_NOFILE, buf));
  return readLimits(buf);
}
