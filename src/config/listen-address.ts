// The address of `http.listen` (docs/config/http.md): parsed, and told loopback or not. Apart
// from the schema (config/http.ts) so that the HTTP server's checks use it without loading zod.
import { isIP } from 'node:net';
import { showValue } from './issue-messages.js';

/** The port `listen` takes when it names none (no IANA assignment; near node_exporter's 9100). */
export const DEFAULT_HTTP_PORT = 9105;

const LISTEN_HINT = 'use HOST:PORT with an IP address, e.g. 127.0.0.1:9105, [::1]:9105 or 9105';

/** Where the server listens: an IP address (v4, or v6 in brackets) and a port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `listen`: `127.0.0.1:9105`, `[::1]:9105`, `0.0.0.0:9105`, a bare IP (port 9105), or a
 * port alone (on 127.0.0.1). Names such as `localhost` are refused: whether an address is
 * loopback, and which Host headers name it, must not depend on a resolver.
 * @returns the address, or a message saying why it is not one
 */
export function parseListen(value: string | number): ListenAddress | string {
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return withPort('127.0.0.1', text);
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6 !== null) {
    const host = v6[1] ?? '';
    if (isIP(host) !== 6) return `${showValue(value)} has no IPv6 address in brackets`;
    return withPort(host, v6[2] ?? String(DEFAULT_HTTP_PORT));
  }
  if (isIP(text) !== 0) return withPort(text, String(DEFAULT_HTTP_PORT));
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  if (v4 === null || isIP(v4[1] ?? '') !== 4)
    return `${showValue(value)} is not an address to listen on; ${LISTEN_HINT}`;
  return withPort(v4[1] ?? '', v4[2] ?? '');
}

function withPort(host: string, port: string): ListenAddress | string {
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `port ${port} is not between 1 and 65535`;
  return { host, port: n };
}

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}
