// The top-level `http` key (docs/config/http.md): the daemon's HTTP server (`GET /metrics`, and
// later the REST API and the dashboard). Off unless the key is there. Parsed here into an
// HttpSpec; the daemon reads the token file when it applies the config.
import { resolve } from 'node:path';
import * as z from 'zod';
import { describeValue, showValue } from './issue-messages.js';
import {
  DEFAULT_HTTP_PORT,
  isLoopback,
  parseListen,
  type ListenAddress,
} from './listen-address.js';
import type { HttpSpec } from './types.js';

// A Host name `hosts` may list: a DNS name or an IP address, without port or scheme.
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

/** The keys of `http`. */
export const httpShape = {
  listen: z
    .union([z.string(), z.int()], {
      error: (issue) => `expected HOST:PORT, got ${describeValue(issue.input)}`,
    })
    .transform((value, ctx): ListenAddress => {
      const parsed = parseListen(value);
      if (typeof parsed !== 'string') return parsed;
      ctx.addIssue({ code: 'custom', message: parsed, input: value });
      return z.NEVER;
    })
    .prefault(`127.0.0.1:${DEFAULT_HTTP_PORT}`)
    .meta({
      description:
        'Address and port of the HTTP server: an IP address (IPv6 in brackets) and a port. Default 127.0.0.1:9105. A non-loopback address needs token_file.',
      examples: ['127.0.0.1:9105', '[::1]:9105', '0.0.0.0:9105'],
    }),
  token_file: z.string().min(1).optional().meta({
    description:
      'A file holding the bearer token (at least 16 characters; surrounding whitespace ignored), relative to the config file. Read at up, reload and SIGHUP. Clients send Authorization: Bearer TOKEN.',
  }),
  read: z
    .enum(['token', 'open'], {
      error: (issue) => `${showValue(issue.input)} is not a read access; use token or open`,
    })
    .prefault('token')
    .meta({
      description:
        'Who may read (GET /metrics): token (requests carry the token) or open (anyone who reaches a loopback address). Writes always need the token. Default token.',
    }),
  hosts: z
    .array(
      z.string().regex(HOST_NAME, {
        error: (issue) =>
          `${showValue(issue.input)} is not a host name; give a name such as warden.example.com, without port or scheme`,
      }),
      { error: (issue) => `expected a list of host names, got ${describeValue(issue.input)}` },
    )
    .prefault([])
    .meta({
      description:
        'Host header names accepted besides the listen address (and localhost on loopback), e.g. the name a reverse proxy or Prometheus uses. Others get 421 (DNS rebinding).',
    }),
};

/** The schema of `http`. */
export const httpSchema = z
  .strictObject(httpShape)
  .superRefine((value, ctx) => {
    const loopback = isLoopback(value.listen.host);
    if (!loopback && value.token_file === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['listen'],
        message: `${value.listen.host} is not a loopback address, so the server needs a token: set token_file, or listen on 127.0.0.1`,
      });
    if (!loopback && value.read === 'open')
      ctx.addIssue({
        code: 'custom',
        path: ['read'],
        message: `"open" is only for a loopback listen address, not ${value.listen.host}; use token`,
      });
    if (value.read === 'token' && value.token_file === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['read'],
        message:
          'reads need the token, but there is no token_file; set token_file, or read: open (loopback only)',
      });
  })
  .optional()
  .meta({
    description:
      'The HTTP server (GET /metrics for Prometheus); off without this key. docs/config/http.md.',
  });

/** `http` as the schema outputs it. */
export type RawHttp = NonNullable<z.output<typeof httpSchema>>;

/** The HttpSpec of `raw`, its token file resolved against `dir` (the config file's directory). */
export function resolveHttp(raw: RawHttp, dir: string): HttpSpec {
  return {
    host: raw.listen.host,
    port: raw.listen.port,
    tokenFile: raw.token_file === undefined ? null : resolve(dir, raw.token_file),
    read: raw.read,
    hosts: raw.hosts.map((h) => h.toLowerCase().replace(/\.$/, '')),
  };
}
