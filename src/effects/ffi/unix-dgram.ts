// AF_UNIX datagram sockets through koffi (Node has none): socket, bind, SO_PASSCRED, blocking
// recvmsg with SCM_CREDENTIALS and SCM_RIGHTS (unix(7)), sendto (the sd_notify client side),
// close. Loaded per thread on first use: the receiving loop runs on a worker thread of
// its own (see notify-socket.ts).
import { endianness } from 'node:os';
import koffi from 'koffi';
import { SyscallError } from './errno.js';
import { libcLibrary } from './libc.js';

interface Dgram {
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: SockaddrUn, len: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: number[], len: number) => number;
  recvmsg: (fd: number, msg: Msghdr, flags: number) => number;
  sendto: (
    fd: number,
    buf: Buffer,
    len: number,
    flags: number,
    to: SockaddrUn,
    n: number,
  ) => number;
  close: (fd: number) => number;
}

/** struct msghdr (recvmsg(2), sendmsg(2)); pointer fields are koffi pointers. */
export interface Msghdr {
  name: null;
  namelen: number;
  iov: unknown;
  iovlen: number;
  control: unknown;
  controllen: number;
  flags: number;
}

let dgram: Dgram | undefined;

function load(): Dgram {
  if (dgram !== undefined) return dgram;
  const lib = libcLibrary();
  koffi.struct('warden_iovec', { base: 'void *', len: 'size_t' });
  koffi.struct('warden_msghdr', {
    name: 'void *',
    namelen: 'uint32_t',
    iov: 'warden_iovec *',
    iovlen: 'size_t',
    control: 'void *',
    controllen: 'size_t',
    flags: 'int',
  });
  koffi.struct('warden_sockaddr_un', { family: 'uint16_t', path: koffi.array('uint8_t', 108) });
  dgram = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Dgram['socket'],
    bind: lib.func(
      'int bind(int fd, const warden_sockaddr_un *addr, uint32_t len)',
    ) as Dgram['bind'],
    setsockopt: lib.func(
      'int setsockopt(int fd, int level, int name, const int *value, uint32_t len)',
    ) as Dgram['setsockopt'],
    sendto: lib.func(
      'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const warden_sockaddr_un *to, uint32_t n)',
    ) as Dgram['sendto'],
    recvmsg: lib.func(
      'intptr_t recvmsg(int fd, _Inout_ warden_msghdr *msg, int flags)',
    ) as Dgram['recvmsg'],
    close: lib.func('int close(int fd)') as Dgram['close'],
  };
  return dgram;
}

/**
 * Registers koffi's `warden_iovec` and `warden_msghdr` types on this thread (once), for other
 * users of sendmsg/recvmsg (seqpacket.ts).
 */
export function registerMsghdrTypes(): void {
  load();
}

/** socket(2), unix(7) and cmsg(3) constants (Linux, every architecture Node runs on). */
export const AF_UNIX = 1;
const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
export const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const MSG_CTRUNC = 0x8;
const MSG_TRUNC = 0x20;
const MSG_CMSG_CLOEXEC = 0x40000000;
const EINTR = 4;
const EAGAIN = 11;
const MSG_DONTWAIT = 0x40;

/** Longest socket path, in bytes (sun_path is 108 bytes with its NUL; unix(7)). */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Creates an AF_UNIX SOCK_DGRAM socket (close-on-exec, blocking) bound at `path` (or `@name` in
 * the abstract namespace), with SO_PASSCRED on, so every datagram carries its sender's pid, uid
 * and gid (unix(7)).
 * The caller makes sure no other socket lives at `path`.
 * @returns the fd. @throws SyscallError (ENAMETOOLONG for a path over 107 bytes, EADDRINUSE...)
 */
export function bindDatagramSocket(path: string): number {
  const { addr, length } = socketAddress(path, 'bind');
  const c = load();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError('socket(AF_UNIX, SOCK_DGRAM)', koffi.errno());
  if (c.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, [1], 4) < 0) {
    const errno = koffi.errno();
    c.close(fd);
    throw new SyscallError('setsockopt(SO_PASSCRED)', errno);
  }
  if (c.bind(fd, addr, length) < 0) {
    const errno = koffi.errno();
    c.close(fd);
    throw new SyscallError(`bind(${path})`, errno);
  }
  return fd;
}

/** struct sockaddr_un (unix(7)). */
interface SockaddrUn {
  family: number;
  path: Uint8Array;
}

const MSG_NOSIGNAL = 0x4000;
const ENAMETOOLONG = 36;

/**
 * The sockaddr_un of `address`: a path, or `@name` in the abstract namespace (a leading NUL and
 * no trailing one; the length counts only the name, as sd_notify(3) and systemd do).
 * @throws SyscallError ENAMETOOLONG (attributed to `syscall`) when it does not fit in sun_path
 */
function socketAddress(address: string, syscall: string): { addr: SockaddrUn; length: number } {
  const isAbstract = address.startsWith('@');
  const bytes = isAbstract
    ? Buffer.concat([Buffer.of(0), Buffer.from(address.slice(1))])
    : Buffer.from(address);
  if (bytes.length > MAX_SOCKET_PATH_BYTES + (isAbstract ? 1 : 0)) {
    throw new SyscallError(`${syscall}(${address})`, ENAMETOOLONG);
  }
  const path = new Uint8Array(108);
  path.set(bytes);
  return { addr: { family: AF_UNIX, path }, length: 2 + bytes.length + (isAbstract ? 0 : 1) };
}

/**
 * Sends `data` as one datagram to the AF_UNIX SOCK_DGRAM socket at `address` (a path or
 * `@abstract`) from a fresh unbound socket, then closes it (sendto(2), unix(7)).
 * @throws SyscallError: ENOENT or ECONNREFUSED when nothing is bound there, EACCES, EAGAIN
 * when the receiver's queue is full, ENAMETOOLONG, EMFILE
 */
export function sendDatagram(address: string, data: Buffer): void {
  const { addr, length } = socketAddress(address, 'sendto');
  const c = load();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError('socket(AF_UNIX, SOCK_DGRAM)', koffi.errno());
  try {
    if (Number(c.sendto(fd, data, data.length, MSG_NOSIGNAL, addr, length)) < 0) {
      throw new SyscallError(`sendto(${address})`, koffi.errno());
    }
  } finally {
    c.close(fd);
  }
}

/** One datagram as received, before any parsing of its text. */
export interface Datagram {
  /** The bytes (the whole datagram unless `truncated`). */
  data: Uint8Array;
  /** From SCM_CREDENTIALS; null when the kernel attached none. */
  sender: { pid: number; uid: number; gid: number } | null;
  /** File descriptors that came with it (SCM_RIGHTS), open and close-on-exec: close them. */
  fds: number[];
  /** The datagram was longer than the buffer (MSG_TRUNC), or fds were lost (MSG_CTRUNC). */
  truncated: boolean;
}

/** Buffers for `receiveDatagram`, allocated once per receiving thread. */
export interface ReceiveBuffers {
  readonly size: number;
  readonly data: unknown;
  readonly control: unknown;
  readonly controlSize: number;
  readonly iov: unknown;
}

/** Allocates native buffers for datagrams of up to `size` bytes and up to 253 fds (SCM_MAX_FD). */
export function allocateReceiveBuffers(size: number): ReceiveBuffers {
  const controlSize = 2048;
  const data: unknown = koffi.alloc('uint8_t', size);
  const control: unknown = koffi.alloc('uint8_t', controlSize);
  load();
  const iov: unknown = koffi.alloc('warden_iovec', 1);
  koffi.encode(iov, 'warden_iovec', { base: data, len: size });
  return { size, data, control, controlSize, iov };
}

/**
 * Waits for the next datagram on `fd` (blocking recvmsg(2) with MSG_CMSG_CLOEXEC: this thread
 * sleeps until one arrives or the socket is shut down). Retries on EINTR. With `wait` false
 * (MSG_DONTWAIT) it takes only a datagram already queued.
 * @returns the datagram, or null once the socket is shut down (a read of 0 bytes with no
 * credentials: every real datagram carries them under SO_PASSCRED), or, not waiting, when none
 * is queued (EAGAIN). @throws SyscallError
 */
export function receiveDatagram(fd: number, bufs: ReceiveBuffers, wait = true): Datagram | null {
  const c = load();
  for (;;) {
    const msg: Msghdr = {
      name: null,
      namelen: 0,
      iov: bufs.iov,
      iovlen: 1,
      control: bufs.control,
      controllen: bufs.controlSize,
      flags: 0,
    };
    const n = Number(c.recvmsg(fd, msg, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT)));
    if (n < 0) {
      const errno = koffi.errno();
      if (errno === EINTR) continue;
      if (!wait && errno === EAGAIN) return null;
      throw new SyscallError('recvmsg', errno);
    }
    const controlLength = Number(msg.controllen);
    if (n === 0 && controlLength === 0) return null;
    const control = new Uint8Array(koffi.view(bufs.control, controlLength).slice(0));
    const data = new Uint8Array(koffi.view(bufs.data, Math.min(n, bufs.size)).slice(0));
    const truncated = (msg.flags & (MSG_TRUNC | MSG_CTRUNC)) !== 0;
    return { data, ...parseControl(control, koffi.sizeof('size_t')), truncated };
  }
}

/**
 * Reads the ancillary data of a recvmsg(2): SCM_CREDENTIALS and SCM_RIGHTS (cmsg(3) layout:
 * `size_t cmsg_len; int level; int type;` then data, each aligned to `word` bytes).
 */
export function parseControl(control: Uint8Array, word: number): Pick<Datagram, 'sender' | 'fds'> {
  const view = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const le = endianness() === 'LE';
  const align = (n: number): number => Math.ceil(n / word) * word;
  const header = align(word + 8);
  let sender: Datagram['sender'] = null;
  const fds: number[] = [];
  for (let at = 0; at + header <= control.byteLength;) {
    const len = word === 8 ? Number(view.getBigUint64(at, le)) : view.getUint32(at, le);
    if (len < header || at + len > control.byteLength) break;
    const level = view.getInt32(at + word, le);
    const type = view.getInt32(at + word + 4, le);
    const data = at + header;
    if (level === SOL_SOCKET && type === SCM_CREDENTIALS && len - header >= 12) {
      sender = {
        pid: view.getInt32(data, le),
        uid: view.getUint32(data + 4, le),
        gid: view.getUint32(data + 8, le),
      };
    } else if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      for (let i = data; i + 4 <= at + len; i += 4) fds.push(view.getInt32(i, le));
    }
    at += align(len);
  }
  return { sender, fds };
}

/** close(2) of a socket fd made here. */
export function closeSocket(fd: number): void {
  load().close(fd);
}
