// The few libc calls Node lacks, through koffi (FFI, prebuilt binary). Loaded on first use, so
// the CLI's start-up never pays for it.
import { constants } from 'node:os';
import koffi from 'koffi';

interface Libc {
  flock: (fd: number, op: number) => number;
  malloc_trim: (pad: number) => number;
  prctl: (option: number, a2: number, a3: number, a4: number, a5: number) => number;
  waitpid: (pid: number, status: number[], options: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  getsockopt: (fd: number, level: number, name: number, value: Ucred, length: number[]) => number;
  syscall: (nr: number, ...typedArgs: unknown[]) => number;
  pipe2: (fds: number[], flags: number) => number;
  waitid: (idtype: number, id: number, info: Int32Array, options: number) => number;
  getrlimit: (resource: number, limits: Buffer) => number;
  setrlimit: (resource: number, limits: Buffer) => number;
}

/** struct ucred (unix(7), SO_PEERCRED). */
interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc !== undefined) return libc;
  const lib = koffi.load('libc.so.6');
  koffi.struct('ucred', { pid: 'int32_t', uid: 'uint32_t', gid: 'uint32_t' });
  libc = {
    flock: lib.func('int flock(int fd, int op)') as Libc['flock'],
    malloc_trim: lib.func('int malloc_trim(size_t pad)') as Libc['malloc_trim'],
    prctl: lib.func(
      'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
    ) as Libc['prctl'],
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as Libc['waitpid'],
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)') as Libc['fcntl'],
    syscall: lib.func('long syscall(long nr, ...)') as Libc['syscall'],
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)') as Libc['pipe2'],
    waitid: lib.func(
      'int waitid(int idtype, int id, _Inout_ void *info, int options)',
    ) as Libc['waitid'],
    getrlimit: lib.func('int getrlimit(int resource, _Out_ void *rlim)') as Libc['getrlimit'],
    setrlimit: lib.func('int setrlimit(int resource, void *rlim)') as Libc['setrlimit'],
    getsockopt: lib.func(
      'int getsockopt(int fd, int level, int name, _Out_ ucred *value, _Inout_ uint32_t *length)',
    ) as Libc['getsockopt'],
  };
  return libc;
}

// The first name of a number wins: EAGAIN, not its alias EWOULDBLOCK (isTransientSpawnError).
const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno))
  if (!errnoNames.has(n)) errnoNames.set(n, name);

/** A failed system call, with the errno name in `code` (like Node's own fs errors). */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number) {
    const code = errnoNames.get(errno) ?? `E${errno}`;
    super(`${syscall} failed: ${code}`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

function check(syscall: string, result: number): number {
  if (result === -1) throw new SyscallError(syscall, koffi.errno());
  return result;
}

const LOCK_EX = 2;
const LOCK_NB = 4;

/**
 * Takes an exclusive, non-blocking flock(2) on `fd`. The lock lives as long as the open file
 * description, so it ends by itself when the process dies.
 * @returns false when another open file description holds it (EWOULDBLOCK)
 * @throws SyscallError for any other failure
 */
export function tryLockExclusive(fd: number): boolean {
  const r = load().flock(fd, LOCK_EX | LOCK_NB);
  if (r === 0) return true;
  const errno = koffi.errno();
  if (errno === constants.errno.EWOULDBLOCK) return false;
  throw new SyscallError('flock', errno);
}

const PR_SET_CHILD_SUBREAPER = 36;

/**
 * Makes this process a child subreaper (prctl(2), PR_SET_CHILD_SUBREAPER): orphaned descendants
 * are reparented to it instead of to PID 1, so it can reap them.
 * @throws SyscallError
 */
export function becomeSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', load().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/** malloc_trim(3): gives the C heap's free memory back to the system (freed Buffers stay otherwise). */
export function trimMalloc(): void {
  load().malloc_trim(0);
}

const WNOHANG = 1;

/**
 * waitpid(2) with WNOHANG on one pid.
 * @returns the raw wait status when `pid` had ended and is now reaped, null when it still runs
 * @throws SyscallError (ECHILD when it is not our child, or already reaped)
 */
export function reapNoHang(pid: number): number | null {
  const status = [0];
  const r = check('waitpid', load().waitpid(pid, status, WNOHANG));
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
  const r = load().waitid(pid === undefined ? P_ALL : P_PID, pid ?? 0, info, options);
  if (r === -1) {
    const errno = koffi.errno();
    if (errno === constants.errno.ECHILD) return null;
    throw new SyscallError('waitid', errno);
  }
  const found = info[4] ?? 0;
  return found === 0 ? null : { pid: found, code: info[2] ?? 0, status: info[6] ?? 0 };
}

const F_DUPFD_CLOEXEC = 1030;

/**
 * Duplicates `fd` to the lowest free fd at or above `min`, close-on-exec (fcntl(2),
 * F_DUPFD_CLOEXEC). @returns the new fd @throws SyscallError (EMFILE, EBADF)
 */
export function dupAbove(fd: number, min: number): number {
  return check('fcntl(F_DUPFD_CLOEXEC)', load().fcntl(fd, F_DUPFD_CLOEXEC, min));
}

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** True when `fd` has FD_CLOEXEC set (fcntl(2), F_GETFD). @throws SyscallError (EBADF) */
export function isCloseOnExec(fd: number): boolean {
  return (check('fcntl(F_GETFD)', load().fcntl(fd, F_GETFD, 0)) & FD_CLOEXEC) !== 0;
}

/** Sets FD_CLOEXEC on `fd`, so no child process inherits it. @throws SyscallError */
export function setCloseOnExec(fd: number): void {
  const flags = check('fcntl(F_GETFD)', load().fcntl(fd, F_GETFD, 0));
  check('fcntl(F_SETFD)', load().fcntl(fd, F_SETFD, flags | FD_CLOEXEC));
}

const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;

/**
 * Creates a pipe (pipe2(2)) with FD_CLOEXEC on both ends, so no child inherits it unless it is
 * passed on explicitly (spawn's stdio dup2s it, which clears the flag on the copy).
 * @returns [readFd, writeFd]
 * @throws SyscallError (EMFILE, ENFILE)
 */
export function makePipe(): [number, number] {
  const fds = [-1, -1];
  check('pipe2', load().pipe2(fds, O_CLOEXEC));
  return [fds[0] ?? -1, fds[1] ?? -1];
}

/**
 * Sets the capacity of the pipe `fd` (fcntl(2) F_SETPIPE_SZ); the kernel rounds it up to a
 * power-of-two number of pages.
 * @returns the capacity now set (bytes)
 * @throws SyscallError (EPERM above /proc/sys/fs/pipe-max-size without CAP_SYS_RESOURCE, or
 * when the user's pipe quota is spent; EBUSY below the bytes it holds)
 */
export function setPipeSize(fd: number, bytes: number): number {
  return check('fcntl(F_SETPIPE_SZ)', load().fcntl(fd, F_SETPIPE_SZ, bytes));
}

/** The capacity of the pipe `fd` (fcntl(2) F_GETPIPE_SZ), in bytes. @throws SyscallError */
export function pipeSize(fd: number): number {
  return check('fcntl(F_GETPIPE_SZ)', load().fcntl(fd, F_GETPIPE_SZ, 0));
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/**
 * The credentials of the peer of the connected Unix socket `fd`, as the kernel recorded them at
 * connect(2) (unix(7), SO_PEERCRED).
 * @throws SyscallError
 */
export function peerCredentials(fd: number): Ucred {
  const cred: Ucred = { pid: 0, uid: 0, gid: 0 };
  check('getsockopt(SO_PEERCRED)', load().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, [12]));
  return cred;
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
  const fd = load().syscall(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0);
  if (fd >= 0) return fd;
  const errno = koffi.errno();
  if (errno === constants.errno.ESRCH) return null;
  throw new SyscallError('pidfd_open', errno);
}

/**
 * Sends signal number `signo` through a pidfd (pidfd_send_signal(2)).
 * @returns false when the process has exited (ESRCH)
 * @throws SyscallError for other failures
 */
export function pidfdSendSignal(pidfd: number, signo: number): boolean {
  const r = load().syscall(
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
  const errno = koffi.errno();
  if (errno === constants.errno.ESRCH) return false;
  throw new SyscallError('pidfd_send_signal', errno);
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/**
 * Sets O_NONBLOCK on the open file description of `fd` (fcntl(2), F_SETFL): a read or write
 * that would block fails with EAGAIN instead. @throws SyscallError (EBADF)
 */
export function setNonBlocking(fd: number): void {
  const flags = check('fcntl(F_GETFL)', load().fcntl(fd, F_GETFL, 0));
  check('fcntl(F_SETFL)', load().fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

// Bound on first use, apart from load(): only the exit-watch thread polls.
type Poll = (fds: Int32Array, nfds: number, timeoutMs: number) => number;
let poll: Poll | undefined;

const POLLIN = 0x1;

/**
 * Blocks until at least one of `fds` can be read, has hung up, has an error or is not open
 * (poll(2) with POLLIN; POLLHUP, POLLERR and POLLNVAL come whatever is asked), or until
 * `timeoutMs` passed. A signal (EINTR) restarts the wait with the whole timeout, which is exact
 * for -1 and 0.
 * @param timeoutMs -1 waits for ever, 0 returns at once
 * @returns the indexes in `fds` of the ready ones, in order (none on timeout)
 * @throws SyscallError (ENOMEM; EINVAL when `fds` outnumber RLIMIT_NOFILE)
 */
export function pollReadable(fds: readonly number[], timeoutMs: number): number[] {
  poll ??= koffi
    .load('libc.so.6')
    .func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)') as Poll;
  // struct pollfd is { int fd; short events; short revents; }: 8 bytes, native byte order.
  const words = new Int32Array(fds.length * 2);
  const halves = new Int16Array(words.buffer);
  fds.forEach((fd, i) => {
    words[2 * i] = fd;
    halves[4 * i + 2] = POLLIN;
  });
  while (poll(words, fds.length, timeoutMs) === -1) {
    const errno = koffi.errno();
    if (errno !== constants.errno.EINTR) throw new SyscallError('poll', errno);
  }
  const ready: number[] = [];
  for (let i = 0; i < fds.length; i++) if (halves[4 * i + 3] !== 0) ready.push(i);
  return ready;
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
  check('getrlimit(RLIMIT_NOFILE)', load().getrlimit(RLIMIT_NOFILE, buf));
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
  check('getrlimit(RLIMIT_NOFILE)', load().getrlimit(RLIMIT_NOFILE, buf));
  if (buf.readBigUInt64LE(0) >= buf.readBigUInt64LE(8)) return readLimits(buf);
  buf.copy(buf, 0, 8, 16);
  check('setrlimit(RLIMIT_NOFILE)', load().setrlimit(RLIMIT_NOFILE, buf));
  return readLimits(buf);
}
