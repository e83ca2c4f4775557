// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the HTTP server, generated from the
// table the routes come from (api-methods.ts) and the protocol's params schemas (zod's
// JSON Schema of each), so the document cannot drift from what is served. Built on the first
// request, then kept.
import type { METHOD_PARAMS } from '../ipc/method-params.js';
import type { MethodName } from '../ipc/protocol.js';
import { STATUS_OF } from './answer.js';
import { API_METHODS, pathOf } from './api-methods.js';
import { STATE_NAMES } from '../core/instance.js';
import { RESULTS, type JsonSchema } from './api-results.js';
import { servedMethods } from './api-routes.js';
import { sse, STREAM_PATHS } from './openapi-streams.js';

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorAnswer = (description: string) => ({ description, content: json(ref('Error')) });

const targetsQuery = {
  name: 'targets',
  in: 'query',
  description:
    'Services (`web`), instances (`web:1`) or `all`, repeated or comma-separated; none: every instance',
  style: 'form',
  explode: true,
  schema: { type: 'array', items: { type: 'string' } },
};

// The params of `method` as JSON Schema: the input side (defaults make a key optional), and no
// other key (the API refuses unknown keys: api-routes.ts).
function paramsSchema(params: Params, method: MethodName): JsonSchema {
  const { $schema: _, ...schema } = params[method].toJSONSchema({ io: 'input' });
  return { ...schema, additionalProperties: false };
}

function operation(params: Params, method: MethodName): Record<string, unknown> {
  const served = API_METHODS[method];
  if (served.verb === null) throw new Error(`${method} is not served over HTTP`);
  const takesTargets = 'targets' in params[method].shape;
  return {
    operationId: method,
    summary: served.summary,
    tags: ['control'],
    ...(served.verb === 'GET'
      ? { parameters: takesTargets ? [targetsQuery] : [] }
      : { requestBody: { required: false, content: json(paramsSchema(params, method)) } }),
    responses: {
      '200': { description: `The result of \`${method}\``, content: json(served.result) },
      '401': errorAnswer('No token, or not the token of http.token_file'),
      default: errorAnswer('An error of the control protocol, with its code (see ErrorCode)'),
    },
  };
}

/** The params schemas of the protocol's methods (the daemon's: source.ts `params`). */
type Params = typeof METHOD_PARAMS;

/** The document, for warden `version`, with the params of `params`. */
export function openApiDocument(version: string, params: Params): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const method of servedMethods()) {
    const verb = API_METHODS[method].verb === 'GET' ? 'get' : 'post';
    paths[pathOf(method)] = { [verb]: operation(params, method) };
  }
  Object.assign(paths, STREAM_PATHS, probes());
  const notServed = Object.fromEntries(
    (Object.keys(API_METHODS) as MethodName[]).flatMap((m) => {
      const e = API_METHODS[m];
      return e.verb === null ? [[m, e.why]] : [];
    }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'warden',
      version,
      description:
        "The HTTP API of warden's daemon: one route per method of its control protocol, the same method table as warden.sock. Docs: docs/http-api.md.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    'x-not-served': notServed,
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The token of http.token_file. Reads need none with `read: open` (loopback only); writes always do.',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: ref('ErrorCode'),
                message: { type: 'string' },
                details: {},
              },
            },
          },
        },
        ErrorCode: {
          type: 'string',
          description: `The control protocol's codes, with their HTTP status: ${Object.entries(
            STATUS_OF,
          )
            .map(([code, status]) => `${code} ${status}`)
            .join(
              ', ',
            )}; and refusals before any method runs: UNAUTHORIZED 401, CROSS_ORIGIN 403, NOT_FOUND 404, METHOD_NOT_ALLOWED 405, MISDIRECTED 421.`,
          enum: [
            ...Object.keys(STATUS_OF),
            'UNAUTHORIZED',
            'CROSS_ORIGIN',
            'NOT_FOUND',
            'METHOD_NOT_ALLOWED',
            'MISDIRECTED',
          ],
        },
        InstanceStatus: RESULTS.instance,
        StateName: { type: 'string', enum: STATE_NAMES },
        ...sse.schemas,
      },
    },
  };
}

function probes(): Record<string, unknown> {
  const item = (summary: string, ok: JsonSchema, extra: Record<string, unknown> = {}) => ({
    get: {
      operationId: summary.split(' ')[0],
      summary,
      tags: ['probes'],
      responses: { '200': { description: 'OK', content: json(ok) }, ...extra },
    },
  });
  const notReady = {
    description: 'Not ready: no config yet, or the instances not running and why',
    content: json({
      type: 'object',
      properties: {
        ready: { const: false },
        why: { type: 'string' },
        notReady: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              instance: { type: 'string' },
              state: ref('StateName'),
              why: { type: 'string' },
            },
          },
        },
      },
    }),
  };
  return {
    '/healthz': item('healthz: 200 while the daemon answers', {
      type: 'object',
      properties: {
        status: { const: 'ok' },
        version: { type: 'string' },
        pid: { type: 'integer' },
      },
    }),
    '/readyz': item(
      'readyz: 200 when every instance is running (or exited with code 0), else 503',
      { type: 'object', properties: { ready: { const: true }, instances: { type: 'integer' } } },
      { '503': notReady },
    ),
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus text exposition format 0.0.4 (docs/metrics.md)',
        tags: ['metrics'],
        responses: {
          '200': {
            description: 'The metrics',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        tags: ['meta'],
        responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
      },
    },
  };
}
