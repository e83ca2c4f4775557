// The HTTP server's routes: exact paths, each with its methods. Modules register theirs
// (`/metrics` now; `/api/v1/*` from the control protocol's method table, one route per method,
// and the dashboard later). Every route is reached only through the checks of auth.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers one request; may be async. Errors thrown become a 500 with the message logged. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What a request may find: a handler, or why not (404, 405 with the methods allowed). */
export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string[] };

/** Routes by path, then method. */
export class Router {
  readonly #routes = new Map<string, Map<string, RouteHandler>>();

  /** Serves `method` (`GET` also answers `HEAD`) on `path` with `handler`. */
  add(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: RouteHandler): this {
    const methods = this.#routes.get(path) ?? new Map<string, RouteHandler>();
    methods.set(method, handler);
    if (method === 'GET') methods.set('HEAD', handler);
    this.#routes.set(path, methods);
    return this;
  }

  /** The handler of `method` on `path` (the URL's path, without query). */
  match(method: string, path: string): RouteMatch {
    const methods = this.#routes.get(path);
    if (methods === undefined) return { kind: 'not-found' };
    const handler = methods.get(method);
    return handler === undefined
      ? { kind: 'method-not-allowed', allow: [...methods.keys()] }
      : { kind: 'found', handler };
  }
}
