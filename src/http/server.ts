// The HTTP listener: every request is checked (Host, origin, token: auth.ts) before its route
// runs. Node's own http server: the routes are few, and it costs the daemon no dependency.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpSpec } from '../config/types.js';
import { isAuthorized, isCrossOrigin, isHostAllowed, isWrite, type TokenDigest } from './auth.js';
import { sendError, type HttpErrorCode } from './answer.js';
import type { Router } from './router.js';

/** Open connections at most: a scraper and a few browsers need far fewer. */
const MAX_CONNECTIONS = 64;

/** What a listening server checks requests against; `token` may change without a rebind. */
export interface ServerPolicy {
  spec: HttpSpec;
  token: TokenDigest | null;
}

/**
 * Listens on `policy.spec`'s address and serves `router`. The policy is read per request, so a
 * reload that changes only the token or `hosts` applies without closing the socket.
 * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES) through the returned promise
 */
export async function listenHttp(
  policy: () => ServerPolicy,
  router: Router,
  log: (line: string) => void,
): Promise<Server> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) =>
    serve(req, res, policy(), router, log),
  );
  server.maxConnections = MAX_CONNECTIONS;
  const { host, port } = policy().spec;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`http: ${error.message}`));
  return server;
}

function serve(
  req: IncomingMessage,
  res: ServerResponse,
  { spec, token }: ServerPolicy,
  router: Router,
  log: (line: string) => void,
): void {
  res.setHeader('Cache-Control', 'no-store');
  const path = new URL(req.url ?? '/', 'http://warden').pathname;
  const refuse = (status: number, code: HttpErrorCode, message: string) => {
    req.resume(); // the body is not read: drained, so that the connection can be reused
    if (isJsonPath(path)) return sendError(res, status, code, message);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${message}\n`);
  };
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (!isHostAllowed(req.headers.host, spec)) {
    const why = `Host "${req.headers.host ?? ''}" is not this server's address; add the name to http.hosts`;
    return refuse(421, 'MISDIRECTED', why);
  }
  const write = isWrite(req.method);
  if (write && isCrossOrigin(req.headers))
    return refuse(403, 'CROSS_ORIGIN', 'cross-origin requests may not change anything');
  const needsToken = write || (spec.read === 'token' && !router.isPublic(path));
  if (needsToken && !isAuthorized(req.headers.authorization, token)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="warden"');
    return refuse(
      401,
      'UNAUTHORIZED',
      'send the token of http.token_file as "Authorization: Bearer TOKEN"',
    );
  }
  const match = router.match(req.method ?? 'GET', path);
  if (match.kind === 'not-found') return refuse(404, 'NOT_FOUND', `no ${path} here`);
  if (match.kind === 'method-not-allowed') {
    res.setHeader('Allow', match.allow.join(', '));
    return refuse(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${path}`);
  }
  // Writes read their body (json-body.ts); anything sent with a read is drained.
  if (!write) req.resume();
  Promise.resolve()
    .then(() => match.handler(req, res))
    .catch((error: unknown) => {
      log(
        `http: ${req.method ?? ''} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) refuse(500, 'INTERNAL', 'internal error; see warden.log');
      else res.destroy();
    });
}

// The REST API and the probes answer JSON, errors included (answer.ts); /metrics plain text.
function isJsonPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/healthz' || path === '/readyz';
}
