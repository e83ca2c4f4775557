// The REST API (docs/http-api.md): one route per method of the control protocol that
// api-methods.ts serves, each calling the daemon's method table (the one warden.sock serves)
// through the source. No method is implemented here: a route only turns a request into params
// and the answer into JSON.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorBody, MethodName } from '../ipc/protocol.js';
import { sendError, sendErrorBody, sendJson } from './answer.js';
import { API_METHODS, pathOf } from './api-methods.js';
import { BodyError, readJsonBody } from './json-body.js';
import type { Router } from './router.js';
import type { WardenSource } from './source.js';

/** The methods served over HTTP, in the protocol map's order. */
export function servedMethods(): MethodName[] {
  return (Object.keys(API_METHODS) as MethodName[]).filter((m) => API_METHODS[m].verb !== null);
}

/** Adds the route of every served method to `router`. */
export function addApiRoutes(router: Router, source: WardenSource): void {
  for (const method of servedMethods()) {
    const verb = API_METHODS[method].verb;
    if (verb === null) continue;
    router.add(verb, pathOf(method), async (req, res) => {
      let params: Record<string, unknown>;
      try {
        params = verb === 'GET' ? paramsOfQuery(req) : await readJsonBody(req);
      } catch (error) {
        if (error instanceof BodyError) return refuseBody(res, error);
        throw error;
      }
      const refusal = unknownKeys(source, method, params);
      if (refusal !== undefined) return sendErrorBody(res, refusal);
      const outcome = await source.call(method, params, req.socket);
      if ('error' in outcome) return sendErrorBody(res, outcome.error);
      sendJson(res, 200, outcome.result);
    });
  }
}

function refuseBody(res: ServerResponse, error: BodyError): void {
  // The rest of a body too large is not read: the connection ends after the answer.
  if (error.status === 413) res.setHeader('Connection', 'close');
  sendError(res, error.status, error.code, error.message);
}

/**
 * The params of a GET from its query: `targets` repeated (`?targets=web&targets=api`) or
 * comma-separated (`?targets=web,web:1`); no `targets` means every instance.
 */
function paramsOfQuery(req: IncomingMessage): Record<string, unknown> {
  const query = new URL(req.url ?? '/', 'http://warden').searchParams;
  const params: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    if (key !== 'targets') {
      params[key] = query.get(key);
      continue;
    }
    params.targets = query
      .getAll(key)
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }
  return params;
}

// A misspelt key would be dropped by the schema and the call would act on every instance
// (`{"target": "web"}` to stop means stop all): refused instead, as INVALID_PARAMS.
function unknownKeys(
  source: WardenSource,
  method: MethodName,
  params: Record<string, unknown>,
): ErrorBody | undefined {
  const known = Object.keys(source.params[method].shape);
  const unknown = Object.keys(params).filter((k) => !known.includes(k));
  if (unknown.length === 0) return undefined;
  const takes = known.length === 0 ? 'no params' : known.join(', ');
  const message = `${method} does not take ${unknown.map((k) => `"${k}"`).join(', ')}; it takes ${takes}`;
  return { code: 'INVALID_PARAMS', message };
}
