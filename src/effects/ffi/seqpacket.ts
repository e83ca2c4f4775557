// An AF_UNIX SOCK_SEQPACKET socket pair through koffi (Node has none): messages that keep their
// bounds, sent with fds (SCM_RIGHTS, unix(7) and cmsg(3)) and read back whole. The daemon talks
// to warden-spawner over one (cgroup-start.ts).
import { endianness } from 'node:os';
import koffi from 'koffi';
import { SyscallError } from './errno.js';
import { libcLibrary } from './libc.js';
import {
  AF_UNIX,
  registerMsghdrTypes,
  SCM_RIGHTS,
  SOCK_CLOEXEC,
  SOL_SOCKET,
  type Msghdr,
} from './unix-dgram.js';

interface Calls {
  socketpair: (domain: number, type: number, protocol: number, fds: Int32Array) => number;
  sendmsg: (fd: number, msg: Msghdr, flags: number) => number;
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
}

let calls: Calls | undefined;

function load(): Calls {
  if (calls !== undefined) return calls;
  const lib = libcLibrary();
  registerMsghdrTypes();
  calls = {
    socketpair: lib.func(
      'int socketpair(int domain, int type, int protocol, _Inout_ void *fds)',
    ) as Calls['socketpair'],
    sendmsg: lib.func(
      'intptr_t sendmsg(int fd, const warden_msghdr *msg, int flags)',
    ) as Calls['sendmsg'],
    recv: lib.func(
      'intptr_t recv(int fd, _Inout_ void *buf, size_t len, int flags)',
    ) as Calls['recv'],
  };
  return calls;
}

const SOCK_SEQPACKET = 5;
const MSG_NOSIGNAL = 0x4000;
const EINTR = 4;

/**
 * A connected pair of blocking, close-on-exec SOCK_SEQPACKET sockets (socketpair(2)).
 * @returns [one end, the other] @throws SyscallError (EMFILE, ENFILE)
 */
export function seqpacketPair(): [number, number] {
  const fds = new Int32Array(2);
  if (load().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) !== 0)
    throw new SyscallError('socketpair(AF_UNIX, SOCK_SEQPACKET)', koffi.errno());
  return [fds[0] ?? -1, fds[1] ?? -1];
}

/**
 * Sends `data` as one message on `fd` with copies of `fds` (SCM_RIGHTS), never raising SIGPIPE.
 * @throws SyscallError (EPIPE when the peer is gone, EMSGSIZE, ENOBUFS)
 */
export function sendWithFds(fd: number, data: Buffer, fds: readonly number[]): void {
  const c = load();
  const word = koffi.sizeof('size_t');
  const align = (n: number): number => Math.ceil(n / word) * word;
  // cmsg(3): size_t cmsg_len; int level; int type; then the fds, the whole aligned to a word.
  const header = align(word + 8);
  const length = header + 4 * fds.length;
  if (endianness() !== 'LE') throw new SyscallError('sendmsg (big-endian)', 95 /* EOPNOTSUPP */);
  const control = Buffer.alloc(align(length));
  if (word === 8) control.writeBigUInt64LE(BigInt(length), 0);
  else control.writeUInt32LE(length, 0);
  control.writeInt32LE(SOL_SOCKET, word);
  control.writeInt32LE(SCM_RIGHTS, word + 4);
  fds.forEach((f, i) => control.writeInt32LE(f, header + 4 * i));
  const dataPtr: unknown = koffi.alloc('uint8_t', Math.max(1, data.length));
  const controlPtr: unknown = koffi.alloc('uint8_t', control.length);
  // A Buffer is copied as it is (a JS array of its bytes would cost 0.17 ms for 3 KB).
  koffi.encode(dataPtr, koffi.array('uint8_t', data.length), data);
  koffi.encode(controlPtr, koffi.array('uint8_t', control.length), control);
  const iov: unknown = koffi.alloc('warden_iovec', 1);
  koffi.encode(iov, 'warden_iovec', { base: dataPtr, len: data.length });
  const msg: Msghdr = {
    name: null,
    namelen: 0,
    iov,
    iovlen: 1,
    control: fds.length > 0 ? controlPtr : null,
    controllen: fds.length > 0 ? control.length : 0,
    flags: 0,
  };
  try {
    for (;;) {
      if (Number(c.sendmsg(fd, msg, MSG_NOSIGNAL)) >= 0) return;
      const errno = koffi.errno();
      if (errno !== EINTR) throw new SyscallError('sendmsg', errno);
    }
  } finally {
    koffi.free(dataPtr);
    koffi.free(controlPtr);
    koffi.free(iov);
  }
}

/**
 * Waits for the next message on the blocking socket `fd` (recv(2)), up to `max` bytes.
 * @returns its bytes, or null at EOF (the peer closed) @throws SyscallError
 */
export function receiveMessage(fd: number, max = 256): Buffer | null {
  const buf = Buffer.alloc(max);
  for (;;) {
    const n = Number(load().recv(fd, buf, max, 0));
    if (n > 0) return buf.subarray(0, n);
    if (n === 0) return null;
    const errno = koffi.errno();
    if (errno !== EINTR) throw new SyscallError('recv', errno);
  }
}
