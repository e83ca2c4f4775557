// Listening stream sockets bound by the daemon for its services (config `listen`), through koffi:
// Node's net.Server would accept on them itself, and the instances must be the only ones that
// accept. Each is close-on-exec in the daemon (an instance gets it only as its fd 3..), blocking
// (the file status flags are shared with every instance, as systemd leaves them), with
// SO_REUSEADDR (a restarted daemon binds again past TIME_WAIT), IPV6_V6ONLY for an IPv6 address
// and off for a bare port (both families), as Node and systemd's BindIPv6Only=both do.
import { chmodSync, chownSync, closeSync, lstatSync, unlinkSync } from 'node:fs';
import koffi from 'koffi';
import type { ListenAddress } from '../../config/types.js';
import { SyscallError } from '../ffi/errno.js';
import { libc, libcLibrary } from '../ffi/libc.js';
import { pidfdOpen } from '../ffi/process.js';

interface Calls {
  socket: (domain: number, type: number, protocol: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: number[], len: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  connect: (fd: number, addr: Buffer, len: number) => number;
  listen: (fd: number, backlog: number) => number;
  getsockname: (fd: number, addr: Buffer, len: number[]) => number;
  getsockoptInt: (
    fd: number,
    level: number,
    name: number,
    value: number[],
    len: number[],
  ) => number;
  inetPton: (af: number, src: string, dst: Buffer) => number;
}

let calls: Calls | undefined;

function load(): Calls {
  if (calls !== undefined) return calls;
  const lib = libcLibrary();
  const fn = <T>(decl: string): T => lib.func(decl) as T;
  calls = {
    socket: fn('int socket(int domain, int type, int protocol)'),
    setsockopt: fn('int setsockopt(int fd, int level, int name, const int *value, uint32_t len)'),
    bind: fn('int bind(int fd, const void *addr, uint32_t len)'),
    connect: fn('int connect(int fd, const void *addr, uint32_t len)'),
    listen: fn('int listen(int fd, int backlog)'),
    getsockname: fn('int getsockname(int fd, _Out_ void *addr, _Inout_ uint32_t *len)'),
    getsockoptInt: fn(
      'int getsockopt(int fd, int level, int name, _Out_ int *value, _Inout_ uint32_t *len)',
    ),
    inetPton: fn('int inet_pton(int af, const char *src, _Out_ void *dst)'),
  };
  return calls;
}

// socket(2), ip(7), ipv6(7), unix(7) constants (Linux).
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;

/** A socket bound and listening. */
export interface BoundSocket {
  /** The daemon's fd (close-on-exec). */
  fd: number;
  /** Where it is bound, the port the kernel picked included (`127.0.0.1:41234`, `unix:/p`). */
  local: string;
  /** The inode of a unix socket's file (to unlink only that file at close); else null. */
  inode: number | null;
}

// The sockaddr of `a` (ip(7), ipv6(7), unix(7)), in a Buffer.
function sockaddr(a: ListenAddress): Buffer {
  if (a.kind === 'unix') {
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    Buffer.from(a.path).copy(addr, 2);
    return addr;
  }
  const addr = Buffer.alloc(a.family === 4 ? 16 : 28);
  addr.writeUInt16LE(a.family === 4 ? AF_INET : AF_INET6, 0);
  addr.writeUInt16BE(a.port, 2);
  const into = a.family === 4 ? addr.subarray(4, 8) : addr.subarray(8, 24);
  if (load().inetPton(a.family === 4 ? AF_INET : AF_INET6, a.host, into) !== 1)
    throw new SyscallError(`inet_pton(${a.host})`, 22);
  return addr;
}

// The port a TCP socket is bound to (getsockname(2)).
function boundPort(fd: number): number {
  const addr = Buffer.alloc(128);
  if (load().getsockname(fd, addr, [addr.length]) < 0)
    throw new SyscallError('getsockname', koffi.errno());
  return addr.readUInt16BE(2);
}

/**
 * Binds and listens on `address` with `backlog`. A unix socket's file left by a program that
 * no longer listens there is replaced; its file gets the address's mode and owner.
 * @returns the socket
 * @throws SyscallError with the errno in `code` and the failed call in `syscall`: EADDRINUSE
 * (someone listens there; for a unix path also a file that is not a socket), EACCES (a port
 * under 1024 without CAP_NET_BIND_SERVICE, a directory not writable), EADDRNOTAVAIL (an address
 * of no interface here), EAFNOSUPPORT (no IPv6), EPERM (chown to another user)
 */
export function bindListeningSocket(address: ListenAddress, backlog: number): BoundSocket {
  const c = load();
  const family = address.kind === 'unix' ? AF_UNIX : address.family === 4 ? AF_INET : AF_INET6;
  const addr = sockaddr(address);
  if (address.kind === 'unix') removeStaleSocket(address.path, addr);
  const fd = c.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError('socket', koffi.errno());
  const step = (name: string, r: number): void => {
    if (r < 0) throw new SyscallError(name, koffi.errno());
  };
  let isBound = false;
  try {
    if (address.kind === 'tcp') {
      step('setsockopt(SO_REUSEADDR)', c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, [1], 4));
      if (address.family === 6) {
        const only = address.dualStack ? 0 : 1;
        step('setsockopt(IPV6_V6ONLY)', c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, [only], 4));
      }
    }
    step('bind', c.bind(fd, addr, addr.length));
    isBound = true;
    let inode: number | null = null;
    if (address.kind === 'unix') {
      inode = lstatSync(address.path).ino;
      if (address.mode !== null) chmodSync(address.path, address.mode);
      if (address.uid !== null || address.gid !== null)
        chownSync(address.path, address.uid ?? -1, address.gid ?? -1);
    }
    step('listen', c.listen(fd, backlog));
    const local =
      address.kind === 'unix'
        ? `unix:${address.path}`
        : address.family === 4
          ? `${address.host}:${boundPort(fd)}`
          : `[${address.host}]:${boundPort(fd)}`;
    return { fd, local, inode };
  } catch (error) {
    closeSync(fd);
    // The file is ours once bound (a chmod, chown or listen failed after): not left behind.
    if (address.kind === 'unix' && isBound) unlinkQuietly(address.path);
    throw error;
  }
}

/** Sets the backlog of a listening socket again (listen(2) on a listening socket changes it). */
export function setBacklog(fd: number, backlog: number): void {
  if (load().listen(fd, backlog) < 0) throw new SyscallError('listen', koffi.errno());
}

/** Closes `socket`; a unix socket's file is removed too, if it is still the one bound. */
export function closeListeningSocket(socket: BoundSocket, path: string | null): void {
  closeSync(socket.fd);
  if (path === null || socket.inode === null) return;
  try {
    if (lstatSync(path).ino === socket.inode) unlinkSync(path);
  } catch {
    // gone already
  }
}

// A unix socket file nobody listens on (its program died) is removed before the bind; a file
// that is not a socket, or a socket someone listens on, is left for bind's EADDRINUSE.
function removeStaleSocket(path: string, addr: Buffer): void {
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch {
    return;
  }
  const c = load();
  const probe = c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return;
  const r = c.connect(probe, addr, addr.length);
  const errno = r < 0 ? koffi.errno() : 0;
  closeSync(probe);
  if (errno === 111 /* ECONNREFUSED */) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

/** Gives a bound unix socket's file the mode and owner of `address` (a reload changed them). */
export function updateSocketFile(address: Extract<ListenAddress, { kind: 'unix' }>): void {
  if (address.mode !== null) chmodSync(address.path, address.mode);
  if (address.uid !== null || address.gid !== null)
    chownSync(address.path, address.uid ?? -1, address.gid ?? -1);
}

const SYS_PIDFD_GETFD = 438;
const SO_ACCEPTCONN = 30;

/**
 * A copy of the listening socket at fd `fd` of process `pid` (pidfd_getfd(2), Linux 5.6; it
 * needs ptrace rights over `pid`: root, or its user with Yama allowing it), when it is one bound
 * to `address`: a new daemon takes back the sockets its adopted instances got from the last
 * one. The copy is close-on-exec.
 * @returns the socket, or undefined when `pid` is gone, has no such socket, or cannot be asked
 */
export function takeListeningSocket(
  pid: number,
  fd: number,
  address: ListenAddress,
): BoundSocket | undefined {
  let pidfd: number | null;
  try {
    pidfd = pidfdOpen(pid);
  } catch {
    return undefined; // no pidfds here (ENOSYS, a seccomp filter): nothing to take
  }
  if (pidfd === null) return undefined;
  let copy: number;
  try {
    copy = libc().syscall(SYS_PIDFD_GETFD, 'int', pidfd, 'int', fd, 'uint', 0);
  } finally {
    closeSync(pidfd);
  }
  if (copy < 0) return undefined;
  const found = describeIfBoundAt(copy, address);
  if (found === undefined) closeSync(copy);
  return found;
}

// The socket `fd` as a BoundSocket when it listens at `address` (any port for port 0).
function describeIfBoundAt(fd: number, address: ListenAddress): BoundSocket | undefined {
  const c = load();
  const listening = [0];
  if (c.getsockoptInt(fd, SOL_SOCKET, SO_ACCEPTCONN, listening, [4]) < 0 || listening[0] !== 1)
    return undefined;
  const actual = Buffer.alloc(128);
  const length = [actual.length];
  if (c.getsockname(fd, actual, length) < 0) return undefined;
  const wanted = sockaddr(address);
  if (address.kind === 'unix') {
    const path = actual.subarray(2, length[0]).toString().replace(/\0.*$/s, '');
    if (path !== address.path) return undefined;
    try {
      return { fd, local: `unix:${path}`, inode: lstatSync(path).ino };
    } catch {
      return undefined;
    }
  }
  const [from, to] = address.family === 4 ? [4, 8] : [8, 24];
  const isSame =
    actual.readUInt16LE(0) === wanted.readUInt16LE(0) &&
    actual.subarray(from, to).equals(wanted.subarray(from, to)) &&
    (address.port === 0 || actual.readUInt16BE(2) === address.port);
  if (!isSame) return undefined;
  const port = actual.readUInt16BE(2);
  const host = address.family === 4 ? address.host : `[${address.host}]`;
  return { fd, local: `${host}:${port}`, inode: null };
}
