// The sending side of AF_UNIX datagrams (what an sd_notify(3) client does) through koffi:
// socket, sendto, close. Node has no Unix datagram sockets; one datagram needs no worker.
import { endianness } from 'node:os';
import koffi from 'koffi';
import { SyscallError } from './libc.js';
import { MAX_SOCKET_PATH_BYTES } from './unix-dgram.js';

interface Send {
  socket: (domain: number, type: number, protocol: number) => number;
  sendto: (fd: number, buf: Buffer, len: number, flags: number, to: Buffer, n: number) => number;
  close: (fd: number) => number;
}

let send: Send | undefined;

function load(): Send {
  if (send !== undefined) return send;
  const lib = koffi.load('libc.so.6');
  send = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Send['socket'],
    sendto: lib.func(
      'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *to, uint32_t n)',
    ) as Send['sendto'],
    close: lib.func('int close(int fd)') as Send['close'],
  };
  return send;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const ENAMETOOLONG = 36;

/**
 * The bytes of a `struct sockaddr_un` for `address` (unix(7)): an absolute or relative path, or
 * `@name` for the abstract namespace (a leading NUL, no trailing one; the length counts only the
 * name, as sd_notify(3) and systemd do).
 * @throws SyscallError ENAMETOOLONG when the name does not fit in sun_path (108 bytes)
 */
export function socketAddress(address: string): Buffer {
  const isAbstract = address.startsWith('@');
  const name = isAbstract
    ? Buffer.concat([Buffer.of(0), Buffer.from(address.slice(1))])
    : Buffer.from(address);
  const limit = isAbstract ? MAX_SOCKET_PATH_BYTES + 1 : MAX_SOCKET_PATH_BYTES;
  if (name.length > limit) throw new SyscallError(`sockaddr_un(${address})`, ENAMETOOLONG);
  const addr = Buffer.alloc(2 + name.length + (isAbstract ? 0 : 1));
  if (endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  name.copy(addr, 2);
  return addr;
}

/**
 * Sends `data` as one datagram to the AF_UNIX SOCK_DGRAM socket at `address` (a path or
 * `@abstract`) from a fresh unbound socket, then closes it (sendto(2), unix(7)).
 * @throws SyscallError: ENOENT or ECONNREFUSED when nothing is bound there, EACCES, EAGAIN
 * when the receiver's queue is full, ENAMETOOLONG, EMFILE
 */
export function sendDatagram(address: string, data: Buffer): void {
  const to = socketAddress(address);
  const c = load();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError('socket(AF_UNIX, SOCK_DGRAM)', koffi.errno());
  try {
    if (Number(c.sendto(fd, data, data.length, MSG_NOSIGNAL, to, to.length)) < 0) {
      throw new SyscallError(`sendto(${address})`, koffi.errno());
    }
  } finally {
    c.close(fd);
  }
}
