// File descriptors through libc: flags (close-on-exec, non-blocking), pipes and their size,
// duplication, flock, poll, and the credentials of a Unix socket's peer.
import { constants } from 'node:os';
import { SyscallError } from './errno.js';
import { check, lastErrno, libc, libcLibrary, type Ucred } from './libc.js';

const LOCK_EX = 2;
const LOCK_NB = 4;

/**
 * Takes an exclusive, non-blocking flock(2) on `fd`. The lock lives as long as the open file
 * description, so it ends by itself when the process dies.
 * @returns false when another open file description holds it (EWOULDBLOCK)
 * @throws SyscallError for any other failure
 */
export function tryLockExclusive(fd: number): boolean {
  const r = libc().flock(fd, LOCK_EX | LOCK_NB);
  if (r === 0) return true;
  const errno = lastErrno();
  if (errno === constants.errno.EWOULDBLOCK) return false;
  throw new SyscallError('flock', errno);
}

const F_DUPFD_CLOEXEC = 1030;

/**
 * Duplicates `fd` to the lowest free fd at or above `min`, close-on-exec (fcntl(2),
 * F_DUPFD_CLOEXEC). @returns the new fd @throws SyscallError (EMFILE, EBADF)
 */
export function dupAbove(fd: number, min: number): number {
  return check('fcntl(F_DUPFD_CLOEXEC)', libc().fcntl(fd, F_DUPFD_CLOEXEC, min));
}

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** True when `fd` has FD_CLOEXEC set (fcntl(2), F_GETFD). @throws SyscallError (EBADF) */
export function isCloseOnExec(fd: number): boolean {
  return (check('fcntl(F_GETFD)', libc().fcntl(fd, F_GETFD, 0)) & FD_CLOEXEC) !== 0;
}

/** Sets FD_CLOEXEC on `fd`, so no child process inherits it. @throws SyscallError */
export function setCloseOnExec(fd: number): void {
  const flags = check('fcntl(F_GETFD)', libc().fcntl(fd, F_GETFD, 0));
  check('fcntl(F_SETFD)', libc().fcntl(fd, F_SETFD, flags | FD_CLOEXEC));
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
  check('pipe2', libc().pipe2(fds, O_CLOEXEC));
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
  return check('fcntl(F_SETPIPE_SZ)', libc().fcntl(fd, F_SETPIPE_SZ, bytes));
}

/** The capacity of the pipe `fd` (fcntl(2) F_GETPIPE_SZ), in bytes. @throws SyscallError */
export function pipeSize(fd: number): number {
  return check('fcntl(F_GETPIPE_SZ)', libc().fcntl(fd, F_GETPIPE_SZ, 0));
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/**
 * Sets O_NONBLOCK on the open file description of `fd` (fcntl(2), F_SETFL): a read or write
 * that would block fails with EAGAIN instead. @throws SyscallError (EBADF)
 */
export function setNonBlocking(fd: number): void {
  const flags = check('fcntl(F_GETFL)', libc().fcntl(fd, F_GETFL, 0));
  check('fcntl(F_SETFL)', libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

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
  // struct pollfd is { int fd; short events; short revents; }: 8 bytes, native byte order.
  const words = new Int32Array(fds.length * 2);
  const halves = new Int16Array(words.buffer);
  fds.forEach((fd, i) => {
    words[2 * i] = fd;
    halves[4 * i + 2] = POLLIN;
  });
  while (libc().poll(words, fds.length, timeoutMs) === -1) {
    const errno = lastErrno();
    if (errno !== constants.errno.EINTR) throw new SyscallError('poll', errno);
  }
  const ready: number[] = [];
  for (let i = 0; i < fds.length; i++) if (halves[4 * i + 3] !== 0) ready.push(i);
  return ready;
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
  check('getsockopt(SO_PEERCRED)', libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, [12]));
  return cred;
}

const SO_PEERGROUPS = 59;
/** NGROUPS_MAX of Linux: the most supplementary groups a process can have. */
const NGROUPS_MAX = 65536;

type GetsockoptBuffer = (
  fd: number,
  level: number,
  name: number,
  value: Buffer,
  length: number[],
) => number;
let getsockoptBuffer: GetsockoptBuffer | undefined;

/**
 * The supplementary groups of the peer of the connected Unix socket `fd`, as the kernel recorded
 * them at connect(2) (socket(7), SO_PEERGROUPS, Linux 4.13): what its process held then, not
 * what it or a process reusing its pid holds now.
 * @returns the gids (its primary gid is in peerCredentials, and may be missing here)
 * @throws SyscallError (ENOPROTOOPT before Linux 4.13)
 */
export function peerGroups(fd: number): number[] {
  const get = (getsockoptBuffer ??= libcLibrary().func(
    'int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)',
  ) as unknown as GetsockoptBuffer);
  // Most processes have few groups: one call; ERANGE says how much room the rest need.
  let value = Buffer.alloc(64 * 4);
  let length = [value.length];
  if (get(fd, SOL_SOCKET, SO_PEERGROUPS, value, length) === -1) {
    if (lastErrno() !== constants.errno.ERANGE || (length[0] ?? 0) > NGROUPS_MAX * 4)
      throw new SyscallError('getsockopt(SO_PEERGROUPS)', lastErrno());
    value = Buffer.alloc(length[0] ?? 0);
    length = [value.length];
    check('getsockopt(SO_PEERGROUPS)', get(fd, SOL_SOCKET, SO_PEERGROUPS, value, length));
  }
  // gid_t in the host's byte order (Buffer.alloc never shares a pool: the offset is aligned).
  return [...new Uint32Array(value.buffer, value.byteOffset, Math.floor((length[0] ?? 0) / 4))];
}
