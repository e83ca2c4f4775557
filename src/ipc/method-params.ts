// The params of every method of the control protocol (protocol.ts `Methods`) as zod schemas:
// the daemon's handlers read their params through them, and the HTTP API builds its routes and
// its OpenAPI document from them (docs/http-api.md), so the socket and HTTP read params alike.
// Not in the CLI's bundle: only the daemon and the HTTP server import this file.
import { z } from 'zod';
import { FIGURES_MS, ProtocolError, type MethodName, type ParamsOf } from './protocol.js';

// A schema that reads what the protocol map declares as the params of `M` (defaults filled in).
type Reads<M extends MethodName> = z.ZodType<unknown, ParamsOf<M>>;

const none = z.object({});
const targets = z.object({
  targets: z
    .array(z.string())
    .default([])
    .describe('Services (`web`), instances (`web:1`) or `all`; none or empty: every one'),
});

// `source`: the document the CLI read from `config` and checked (checked here again).
const up = targets.extend({
  config: z.string().startsWith('/'),
  source: z
    .object({
      document: z.unknown(),
      order: z.array(z.string()),
      dirs: z.record(z.string(), z.string().startsWith('/')).optional(),
    })
    .optional(),
  portBase: z.int().min(1).max(65535).optional(),
  variables: z.record(z.string(), z.string().nullable()).optional(),
});

/** The schema of the params of each method (defaults filled in by parsing). */
export const METHOD_PARAMS = {
  hello: none,
  prove: none,
  status: targets,
  up,
  reload: z.object({
    dryRun: z.boolean().default(false).describe('Only the plan: change nothing'),
  }),
  start: targets,
  stop: targets,
  restart: targets.extend({
    rolling: z
      .boolean()
      .default(false)
      .describe('One instance at a time while an extra one serves (exactly one service)'),
  }),
  signal: targets.extend({
    signal: z
      .union([z.string(), z.number()])
      .describe('A signal name (`SIGHUP`, `HUP`) or number (`1`)'),
  }),
  // setTimeout holds at most 2^31-1 ms; longer would fire at once.
  wait: targets.extend({
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(2_147_483_647)
      .default(60_000)
      .describe('How long to wait for `running`, in ms'),
  }),
  ps: targets,
  'logs-reopen': none,
  subscribe: targets.extend({
    figuresMs: z
      .int()
      .min(FIGURES_MS.min)
      .max(FIGURES_MS.max)
      .optional()
      .describe("Also push every instance's figures at this interval, in ms (`warden top`)"),
  }),
  down: z.object({
    keepServices: z.boolean().default(false).describe('Only the daemon exits'),
  }),
} satisfies { [M in MethodName]: Reads<M> };

/** The params schema of `M`. */
export type ParamsSchema<M extends MethodName> = (typeof METHOD_PARAMS)[M];

/**
 * `params` read by `schema`, defaults filled in.
 * @throws ProtocolError INVALID_PARAMS with zod's description of what does not fit
 */
export function parseParams<T>(schema: z.ZodType<T>, params: unknown): T {
  const r = schema.safeParse(params);
  if (!r.success) throw new ProtocolError('INVALID_PARAMS', z.prettifyError(r.error));
  return r.data;
}
