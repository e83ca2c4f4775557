// The HTTP server as the daemon runs it (docs/config/http.md): loaded by a dynamic import only
// when the config has `http`, so a daemon without it loads none of this (nor prom-client).
// Applying a changed `http` binds the new address before closing the old one, so a port in use
// is an error that changes nothing.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { HttpSpec } from '../config/types.js';
import { digestOf, type TokenDigest } from './auth.js';
import { addApiRoutes } from './api-routes.js';
import { addDashboard } from './dashboard-page.js';
import { eventsRoute, type EventsRoute } from './events-sse.js';
import { logsRoute } from './logs-sse.js';
import { createMetrics, type WardenMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { addProbeRoutes } from './probes.js';
import { Router } from './router.js';
import { listenHttp, type ServerPolicy } from './server.js';
import type { WardenSource } from './source.js';

/** The shortest token accepted: 16 characters (`openssl rand -hex 16` gives 32). */
const MIN_TOKEN_LENGTH = 16;

/** A token file larger than this is not a token file. */
const MAX_TOKEN_FILE_BYTES = 4096;

/** `http` could not be applied: the message says what, where, why and what to do. */
export class HttpSetupError extends Error {
  /** The config key at fault (`http.listen`, `http.token_file`). */
  readonly key: string;

  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(`${key}: ${message}`, options);
    this.name = 'HttpSetupError';
    this.key = key;
  }
}

/** The daemon's running HTTP server. */
export interface HttpService {
  /** Where it listens, as `HOST:PORT` (the port the kernel gave, for port 0). */
  readonly address: string;
  /**
   * Applies a changed `http`: a new address is bound first (then the old socket closes); a new
   * token or `hosts` apply to the next request. Open connections to an old address end.
   * @throws HttpSetupError (the token file cannot be read; the address cannot be bound), and
   *   then the server goes on as it was
   */
  apply(spec: HttpSpec): Promise<void>;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

/**
 * Reads the bearer token of `spec` (null without token_file).
 * @throws HttpSetupError when the file cannot be read, is too large or holds too short a token
 */
export function readToken(spec: HttpSpec): TokenDigest | null {
  if (spec.tokenFile === null) return null;
  const key = 'http.token_file';
  let text: string;
  try {
    const data = readFileSync(spec.tokenFile);
    if (data.length > MAX_TOKEN_FILE_BYTES)
      throw new HttpSetupError(key, `${spec.tokenFile} is ${data.length} bytes, not a token`);
    text = data.toString('utf8').trim();
  } catch (error) {
    if (error instanceof HttpSetupError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new HttpSetupError(key, `cannot read ${spec.tokenFile}: ${code}`, { cause: error });
  }
  if (text.length < MIN_TOKEN_LENGTH || /\s/.test(text))
    throw new HttpSetupError(
      key,
      `${spec.tokenFile} must hold one token of at least ${MIN_TOKEN_LENGTH} characters, no spaces; make one with: openssl rand -hex 32 > ${spec.tokenFile}`,
    );
  return digestOf(text);
}

const addressOf = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * Starts the HTTP server of `spec` over `source`.
 * @throws HttpSetupError as HttpService.apply does
 */
export async function startHttp(
  spec: HttpSpec,
  source: WardenSource,
  log: (line: string) => void,
): Promise<HttpService> {
  const metrics = createMetrics(source);
  const events = eventsRoute(source);
  const router = routes(metrics, events, source);
  try {
    let current = await bind({ spec, token: readToken(spec) }, router, log);
    return {
      get address() {
        return current.address;
      },
      async apply(next) {
        const policy = { spec: next, token: readToken(next) };
        if (next.host === current.policy.spec.host && next.port === current.policy.spec.port) {
          current.policy = policy;
          return;
        }
        const bound = await bind(policy, router, log);
        const old = current;
        current = bound;
        await closeServer(old.server);
      },
      async close() {
        metrics.close();
        events.close();
        await closeServer(current.server);
      },
    };
  } catch (error) {
    metrics.close();
    events.close();
    throw error;
  }
}

interface Bound {
  server: Server;
  policy: ServerPolicy;
  address: string;
}

async function bind(
  policy: ServerPolicy,
  router: Router,
  log: (line: string) => void,
): Promise<Bound> {
  const bound: Partial<Bound> & { policy: ServerPolicy } = { policy };
  const { host, port } = policy.spec;
  try {
    bound.server = await listenHttp(() => bound.policy, router, log);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const hint =
      code === 'EADDRINUSE'
        ? 'another process listens there (ss -ltnp); pick another port'
        : code === 'EADDRNOTAVAIL'
          ? 'no interface of this machine has that address'
          : code === 'EACCES'
            ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE'
            : 'see warden.log';
    throw new HttpSetupError(
      'http.listen',
      `cannot listen on ${addressOf(host, port)}: ${code}; ${hint}`,
      {
        cause: error,
      },
    );
  }
  const a = bound.server.address();
  const actual = typeof a === 'object' && a !== null ? a.port : port;
  // The same object the server reads its policy from: `apply` swaps the policy in place.
  return Object.assign(bound, { server: bound.server, address: addressOf(host, actual) });
}

function routes(metrics: WardenMetrics, events: EventsRoute, source: WardenSource): Router {
  const router = new Router()
    .add('GET', '/metrics', async (_req, res) => {
      // Written as it is formatted (sampled-metric.ts), never held whole.
      await metrics.scrape((chunk) => {
        if (!res.headersSent) res.writeHead(200, { 'Content-Type': metrics.contentType });
        res.write(chunk);
      });
      res.end();
    })
    .add('GET', '/api/v1/events', events.handler)
    .add('GET', '/api/v1/logs', logsRoute(source));
  addApiRoutes(router, source);
  addProbeRoutes(router, source);
  let document: string | undefined;
  router.add('GET', '/api/v1/openapi.json', (_req, res) => {
    document ??= JSON.stringify(openApiDocument(source.version, source.params));
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(document);
  });
  addDashboard(router);
  return router;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
