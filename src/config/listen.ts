// The schema of `listen` (docs/config/listen.md): the sockets warden binds for a service and
// passes to each of its instances as fds 3.. (sd_listen_fds(3)). Addresses are parsed here; the
// checks across services (one address, one service) are in listen-checks.ts.
import { isIPv4, isIPv6 } from 'node:net';
import * as z from 'zod';
import { lookUpGroup, lookUpUser } from '../effects/identity/users.js';
import { describeValue, showValue } from './issue-messages.js';

/** Where a listening socket is bound. */
export type ListenAddress =
  /**
   * A TCP address. `host` `::` with `dualStack`: a bare port (every IPv6 and IPv4 address);
   * an IPv6 host alone is bound IPv6-only (IPV6_V6ONLY), so `0.0.0.0:P` and `[::]:P` can coexist.
   * Port 0: the kernel picks one (`status --json` shows it).
   */
  | { kind: 'tcp'; host: string; port: number; family: 4 | 6; dualStack: boolean }
  /**
   * A unix stream socket at `path` (absolute once the config is built); its file gets `mode`
   * (null: as the umask leaves it) and `uid`/`gid` (null: the daemon's).
   */
  | { kind: 'unix'; path: string; mode: number | null; uid: number | null; gid: number | null };

/** One entry of `listen`. */
export interface ListenSpec {
  /** The name in LISTEN_FDNAMES; default: the service's name (as systemd names a socket unit's). */
  name: string | null;
  /** The address as written, made canonical: `127.0.0.1:8080`, `[::1]:8443`, `3000`, `unix:/run/a.sock`. */
  address: string;
  /** listen(2)'s backlog: connections the kernel queues while no instance accepts. Default 511. */
  backlog: number;
  bind: ListenAddress;
}

/** Default backlog, as Node's `server.listen` (the kernel caps it at net.core.somaxconn). */
export const DEFAULT_BACKLOG = 511;
/** At most this many sockets a service (warden-spawner takes 64 fds a start, pipes included). */
export const MAX_LISTEN = 32;
/** sun_path holds 107 bytes and its NUL (unix(7)). */
const MAX_UNIX_PATH_BYTES = 107;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,255}$/;

/**
 * Parses one address: `3000`, `HOST:PORT` with an IPv4 host, `[IPv6]:PORT`, `unix:PATH`.
 * @returns the address (a unix one with no mode or owner yet), or why it is not one
 */
export function parseListenAddress(value: string | number): ListenAddress | string {
  const text = String(value).trim();
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path === '') return 'unix: needs a path, e.g. unix:/run/app.sock';
    if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES)
      return `the socket path is over ${MAX_UNIX_PATH_BYTES} bytes (unix(7)); use a shorter one`;
    if (path.includes('\0')) return 'the socket path holds a NUL byte';
    return { kind: 'unix', path, mode: null, uid: null, gid: null };
  }
  const m = /^(?:(\[[^\]]*\]|[^:[\]]+):)?(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port > 65535) {
    return `${showValue(value)} is not an address; use a port (3000), 127.0.0.1:8080, [::1]:8443 or unix:/path`;
  }
  const host = m[1];
  if (host === undefined) return { kind: 'tcp', host: '::', port, family: 6, dualStack: true };
  if (host.startsWith('[')) {
    const v6 = host.slice(1, -1);
    if (!isIPv6(v6)) return `${host} is not an IPv6 address`;
    return { kind: 'tcp', host: v6, port, family: 6, dualStack: false };
  }
  if (host === '*') return { kind: 'tcp', host: '0.0.0.0', port, family: 4, dualStack: false };
  if (!isIPv4(host))
    return `${showValue(host)} is not an IP address; warden binds addresses, not host names (use 127.0.0.1 or [::1])`;
  return { kind: 'tcp', host, port, family: 4, dualStack: false };
}

/** The canonical text of an address: what status shows and what two services are compared by. */
export function formatListenAddress(a: ListenAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  if (a.dualStack) return String(a.port);
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const account = z.union([z.string().regex(/^[^:\s]+$/), z.int().min(0)], {
  error: (issue) => `expected a name or a number, got ${describeValue(issue.input)}`,
});

const entryObject = z.strictObject({
  address: z
    .union([z.string(), z.int()], {
      error: (issue) =>
        issue.input === undefined
          ? 'is missing: give the address, e.g. address: "127.0.0.1:8080"'
          : `expected an address such as 3000, "127.0.0.1:8080" or "unix:/run/app.sock", got ${describeValue(issue.input)}`,
    })
    .meta({
      description:
        'A port (every address, IPv6 and IPv4), "IPv4:PORT", "[IPv6]:PORT" (IPv6 only), or "unix:PATH" (relative to the config file). Port 0: the kernel picks one.',
    }),
  name: z
    .string()
    .regex(NAME_PATTERN, {
      error: (issue) =>
        `${showValue(issue.input)} is not a socket name; use letters, digits, "_", "." and "-"`,
    })
    .optional()
    .meta({ description: "Its name in LISTEN_FDNAMES. Default: the service's name." }),
  backlog: z
    .int()
    .min(1)
    .max(65535)
    .optional()
    .meta({
      description: `Connections the kernel queues while no instance accepts (listen(2)). Default ${DEFAULT_BACKLOG}.`,
    }),
  mode: z
    .string({
      error: (issue) =>
        typeof issue.input === 'number'
          ? 'write the mode as a quoted string of octal digits, e.g. "0660" (YAML reads 0660 as a decimal number)'
          : `expected a mode such as "0660", got ${describeValue(issue.input)}`,
    })
    .regex(/^0?[0-7]{3}$/, {
      error: (issue) => `${showValue(issue.input)} is not a mode; use e.g. "0660"`,
    })
    .optional()
    .meta({
      description: 'A unix socket file\'s mode, in octal: "0660". Default: 0777 less the umask.',
    }),
  user: account.optional().meta({ description: "A unix socket file's owner (name or uid)." }),
  group: account.optional().meta({ description: "A unix socket file's group (name or gid)." }),
});

type RawEntry = z.output<typeof entryObject>;

// One entry, parsed: its address, and for a unix socket its mode and owner looked up.
function toListenSpec(raw: RawEntry, ctx: z.RefinementCtx): ListenSpec {
  const bind = parseListenAddress(raw.address);
  if (typeof bind === 'string') {
    ctx.addIssue({ code: 'custom', message: bind, path: ['address'], input: raw.address });
    return z.NEVER;
  }
  if (bind.kind === 'tcp') {
    for (const key of ['mode', 'user', 'group'] as const)
      if (raw[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `"${key}" is for unix sockets (the socket file's ${key === 'mode' ? 'permissions' : 'owner'}); remove it`,
          path: [key],
        });
  } else {
    if (raw.mode !== undefined) bind.mode = parseInt(raw.mode, 8);
    if (raw.user !== undefined) {
      const user = lookUpUser(String(raw.user));
      if (user === undefined)
        ctx.addIssue({
          code: 'custom',
          message: `no user ${showValue(raw.user)} in the user database (passwd(5))`,
          path: ['user'],
        });
      bind.uid = user?.uid ?? null;
    }
    if (raw.group !== undefined) {
      const group = lookUpGroup(String(raw.group));
      if (group === undefined)
        ctx.addIssue({
          code: 'custom',
          message: `no group ${showValue(raw.group)} in the group database (group(5))`,
          path: ['group'],
        });
      bind.gid = group?.gid ?? null;
    }
  }
  return {
    name: raw.name ?? null,
    address: formatListenAddress(bind),
    backlog: raw.backlog ?? DEFAULT_BACKLOG,
    bind,
  };
}

// A bare address is the map `{address}`: one shape, so a map's own errors (a mode written as a
// number, a misspelt key) are reported as such.
const entry = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? value
      : { address: value },
  entryObject.transform((raw, ctx) => toListenSpec(raw, ctx)),
);

/** The schema of a service's `listen`. */
export const listenSchema = z
  .array(entry, {
    error: (issue) =>
      `expected a list of addresses, e.g. ["127.0.0.1:8080"], got ${describeValue(issue.input)}`,
  })
  .max(MAX_LISTEN, { error: `at most ${MAX_LISTEN} sockets a service` })
  .prefault([])
  .meta({
    description:
      'Sockets warden binds and passes to every instance as fds 3.. with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (sd_listen_fds(3)): a port (3000), "127.0.0.1:8080", "[::1]:8443", "unix:/run/app.sock", or {address, name, backlog, mode, user, group}.',
  });

/** The keys of a `listen` entry written as a map (for "did you mean" hints). */
export const LISTEN_ENTRY_KEYS = Object.keys(entryObject.shape);
