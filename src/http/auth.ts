// Who may ask what of the HTTP server (docs/config/http.md "Security"): the Host header against
// DNS rebinding, the origin of writes against cross-site requests, and the bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopback } from '../config/listen-address.js';
import type { HttpSpec } from '../config/types.js';

/** Methods that only read (RFC 9110 section 9.2.1, safe methods). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True for a method that may change something: it needs the token, and the same origin. */
export function isWrite(method: string | undefined): boolean {
  return !SAFE_METHODS.has(method ?? '');
}

/** The host part of a Host header (`[::1]:9105` -> `::1`), lower case; undefined if malformed. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (v6 !== null) return v6[1]?.toLowerCase();
  const m = /^([^:[\]]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase().replace(/\.$/, '');
}

/**
 * True when `host` (a Host header) names this server: an IP address (a page served by a name
 * cannot reach an address by rebinding that name; on a wildcard listen, any address), `localhost`
 * on a loopback listen, or one of `hosts`. Anything else is a name that the browser resolved to
 * us, which is what DNS rebinding does (answer 421).
 */
export function isHostAllowed(host: string | undefined, spec: HttpSpec): boolean {
  const name = hostNameOf(host);
  if (name === undefined) return false;
  if (spec.hosts.includes(name)) return true;
  if (isIP(name) !== 0) {
    const wildcard = spec.host === '0.0.0.0' || spec.host === '::';
    return wildcard || name === spec.host.toLowerCase();
  }
  return name === 'localhost' && isLoopback(spec.host);
}

/**
 * True when a request comes from another site's page: its `Sec-Fetch-Site` is `cross-site` or
 * `same-site` (Fetch Metadata), or its `Origin` is not `http://` + its own Host. Requests
 * without either header (curl, Prometheus) are not cross-origin.
 */
export function isCrossOrigin(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = headers.origin;
  if (origin === undefined) return false;
  return origin === 'null' || origin.toLowerCase() !== `http://${headers.host ?? ''}`.toLowerCase();
}

/** A token as the server keeps it: its SHA-256 digest, so comparisons take equal time. */
export type TokenDigest = Buffer;

/** The digest of `token`. */
export function digestOf(token: string): TokenDigest {
  return createHash('sha256').update(token).digest();
}

/**
 * True when `authorization` is `Bearer TOKEN` (RFC 6750) for the token of `digest`. The digests
 * are compared with crypto.timingSafeEqual: equal lengths, time independent of where they differ.
 */
export function isAuthorized(
  authorization: string | undefined,
  digest: TokenDigest | null,
): boolean {
  if (digest === null || authorization === undefined) return false;
  const m = /^Bearer +(\S+) *$/i.exec(authorization);
  if (m === null) return false;
  return timingSafeEqual(digestOf(m[1] ?? ''), digest);
}
