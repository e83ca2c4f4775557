// The listening TCP sockets of this network namespace, as /proc/net/tcp and /proc/net/tcp6 list
// them (proc(5)), and which of them takes a connection to a given address and port.
import { readFileSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';

/** The `st` column of a socket in state TCP_LISTEN (include/net/tcp_states.h). */
const LISTEN = '0A';
const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
/** An IPv4 address as IPv6 (RFC 4291 2.5.5.2): 10 zero bytes, 2 of 0xff, then the 4 bytes. */
const V4_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
const ANY6 = Buffer.alloc(16);
const ANY4 = Buffer.concat([V4_PREFIX, Buffer.alloc(4)]);
const LOOPBACK6 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/**
 * The inodes of the listening sockets that take a connection to `address` (an IPv4 or IPv6
 * address as Node reports it, e.g. a socket's `remoteAddress`) on `port`: those bound to that
 * very address when there are any (the kernel prefers them), else those bound to a wildcard
 * (`0.0.0.0` for IPv4, `::` for both). [] when none is found (the connection went to another
 * network namespace, or the listener has just closed). Unreadable tables count as empty.
 */
export function listeningInodes(address: string, port: number): number[] {
  const target = ipBytes(address);
  if (target === undefined) return [];
  const isV4 = target.subarray(0, 12).equals(V4_PREFIX);
  const exact: number[] = [];
  const wildcard: number[] = [];
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of TABLES) {
    for (const line of readTable(table)) {
      const f = line.trim().split(/\s+/);
      const local = f[1] ?? '';
      if (f[3] !== LISTEN || !local.endsWith(portHex)) continue;
      const bound = procAddressBytes(local.slice(0, -portHex.length));
      const inode = Number(f[9]);
      if (bound === undefined || !(inode > 0)) continue;
      if (bound.equals(target)) exact.push(inode);
      else if (bound.equals(ANY6) || (isV4 && bound.equals(ANY4))) wildcard.push(inode);
    }
  }
  return exact.length > 0 ? exact : wildcard;
}

/**
 * True when `address` reaches this machine: a loopback address (127.0.0.0/8, `::1`), an
 * unspecified one (`0.0.0.0`, `::`, which connect(2) takes as local), or an address of one of
 * its network interfaces. Only for these can the listener be looked up in /proc.
 */
export function isLocalAddress(address: string): boolean {
  const bytes = ipBytes(address);
  if (bytes === undefined) return false;
  const isV4 = bytes.subarray(0, 12).equals(V4_PREFIX);
  if (isV4 ? bytes[12] === 127 : bytes.equals(LOOPBACK6)) return true;
  if (bytes.equals(ANY6) || bytes.equals(ANY4)) return true;
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((i) => ipBytes(i.address)?.equals(bytes) === true),
  );
}

/**
 * The 16 bytes of an IPv4 or IPv6 address in text (IPv4 as IPv4-mapped IPv6; a `%zone` is
 * dropped), or undefined when it is neither.
 */
export function ipBytes(text: string): Buffer | undefined {
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address))
    return Buffer.concat([V4_PREFIX, Buffer.from(address.split('.').map(Number))]);
  if (!isIPv6(address)) return undefined;
  // A trailing dotted IPv4 part (`::ffff:1.2.3.4`) stands for the last two groups.
  let groups = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    groups = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const bytes = Buffer.alloc(16);
  [...left, ...zeros, ...right].forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}

// An address column of /proc/net/tcp{,6}: 8 or 32 hex digits, 32-bit words each printed as a
// number in the host's byte order (so 127.0.0.1 is 0100007F on x86).
function procAddressBytes(hex: string): Buffer | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined;
  const words = Buffer.alloc(hex.length / 2);
  for (let i = 0; i < hex.length / 8; i++) {
    const word = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    if (endianness() === 'LE') words.writeUInt32LE(word, i * 4);
    else words.writeUInt32BE(word, i * 4);
  }
  return hex.length === 8 ? Buffer.concat([V4_PREFIX, words]) : words;
}

function readTable(path: string): string[] {
  try {
    return readFileSync(path, 'latin1').split('\n').slice(1);
  } catch {
    return []; // no IPv6 in this kernel, or /proc not mounted
  }
}
