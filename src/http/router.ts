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
  readonly #public = new Set<string>();

  /**
   * Serves `method` (`GET` also answers `HEAD`) on `path` with `handler`. A `public` GET needs
   * no token even with `read: token`: the dashboard's page and scripts, which hold no data (a
   * browser cannot send a bearer token when it loads a page).
   */
  add(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    handler: RouteHandler,
    access: 'token' | 'public' = 'token',
  ): this {
    if (access === 'public' && method === 'GET') this.#public.add(path);
    const methods = this.#routes.get(path) ?? new Map<string, RouteHandler>();
    methods.set(method, handler);
    if (method === 'GET') methods.set('HEAD', handler);
    this.#routes.set(path, methods);
    return this;
  }

  /** True when a read of `path` needs no token (see `add`). */
  isPublic(path: string): boolean {
    return this.#public.has(path);
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
