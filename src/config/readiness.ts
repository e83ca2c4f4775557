// The schema of `ready`, `watchdog` and `depends_on`: readiness sources and start order.
import * as z from 'zod';
import type { Command, Dependency, ReadyCheck, ReadySpec } from './types.js';
import { describeValue, showValue } from './issue-messages.js';

const SOURCES = ['notify', 'fd', 'tcp', 'http', 'exec', 'log'] as const;

/** Parses `tcp`: a port, `"PORT"` or `"HOST:PORT"`; the host defaults to 127.0.0.1. */
export function parseTcpTarget(value: string | number): { host: string; port: number } | undefined {
  const text = String(value);
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535) return undefined;
  const host = (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/**
 * A zod refinement: the object has exactly one of `keys` (a check's kinds, which `what` names:
 * `source`, `probe`), else an issue that says which are missing or too many.
 */
export function exactlyOne<K extends string>(keys: readonly K[], what: string) {
  return (raw: Partial<Record<K, unknown>>, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => raw[k] !== undefined);
    if (given.length === 1) return;
    const message =
      given.length === 0
        ? `needs one ${what}: ${keys.join(', ')}`
        : `has ${given.join(' and ')}; give exactly one ${what}`;
    ctx.addIssue({ code: 'custom', message, input: raw });
  };
}

/**
 * Builds the `ready` schema around the service `command` schema (reused for `ready.exec`) and
 * the `duration` builder of schema.ts.
 */
export function readySchema(
  command: z.ZodType<Command>,
  duration: (d: string, what: string) => z.ZodType<number>,
) {
  const shape = {
    notify: z.literal(true, { error: 'only `notify: true` makes sense' }).optional().meta({
      description: 'Ready at sd_notify READY=1 on $NOTIFY_SOCKET (sd_notify(3)).',
    }),
    fd: z.int().min(3).max(1023).optional().meta({
      description: 'Ready when the instance writes a newline to this fd (s6 notification-fd).',
    }),
    tcp: z.union([z.int(), z.string()]).optional().meta({
      description:
        "Ready when a TCP connect to PORT or HOST:PORT is accepted by a listening socket of the instance's own tree.",
    }),
    http: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .optional()
      .meta({
        description:
          "Ready when a GET of the URL answers 2xx or 3xx (on this machine: from a listening socket of the instance's own tree).",
      }),
    exec: command.optional().meta({ description: 'Ready when this command exits 0.' }),
    log: z.string().min(1).optional().meta({
      description: 'Ready when a stdout or stderr line matches this regular expression.',
    }),
    timeout: duration('60s', 'Not ready within this long: the start counts as failed.'),
    interval: duration('250ms', 'How often tcp, http and exec checks are tried.'),
  };
  return z
    .strictObject(shape)
    .superRefine(exactlyOne(SOURCES, 'source'), {
      // A typo in a source's key is the real problem: do not add "needs one source" to it.
      when: (payload) => payload.issues.length === 0,
    })
    .transform((raw, ctx): ReadySpec => {
      const check = toCheck(raw, ctx);
      return check === undefined
        ? z.NEVER
        : { check, timeoutMs: raw.timeout, intervalMs: raw.interval };
    })
    .optional()
    .meta({
      description: 'How an instance tells it can serve; without it, running after min_uptime.',
    });
}

function toCheck(
  raw: {
    notify?: true;
    fd?: number;
    tcp?: string | number;
    http?: string;
    exec?: Command;
    log?: string;
  },
  ctx: z.RefinementCtx,
): ReadyCheck | undefined {
  if (raw.notify !== undefined) return { kind: 'notify' };
  if (raw.fd !== undefined) return { kind: 'fd', fd: raw.fd };
  if (raw.http !== undefined) return { kind: 'http', url: raw.http };
  if (raw.exec !== undefined) return { kind: 'exec', command: raw.exec };
  if (raw.tcp !== undefined) {
    const target = parseTcpTarget(raw.tcp);
    if (target !== undefined) return { kind: 'tcp', ...target };
    const message = `${showValue(raw.tcp)} is not a port or HOST:PORT (1-65535)`;
    ctx.addIssue({ code: 'custom', message, path: ['tcp'], input: raw.tcp });
    return undefined;
  }
  try {
    new RegExp(raw.log ?? '');
    return { kind: 'log', pattern: raw.log ?? '' };
  } catch (error) {
    const message = `is not a regular expression: ${error instanceof Error ? error.message : String(error)}`;
    ctx.addIssue({ code: 'custom', message, path: ['log'], input: raw.log });
    return undefined;
  }
}

const CONDITIONS = ['running', 'started', 'completed', 'succeeded'] as const;
const CONDITION_WORDS = 'running, started, completed or succeeded';

/**
 * `depends_on`: `[a, b]` (each `running`; a task `succeeded`, see document.ts) or
 * `{a: running, b: started, migrate: succeeded}`.
 */
export const dependsOnSchema = z
  .union(
    [
      z
        .array(z.string().min(1))
        .transform((names): Dependency[] =>
          names.map((service) => ({ service, condition: 'running' })),
        ),
      z
        .record(
          z.string().min(1),
          z.enum(CONDITIONS, {
            error: (issue) =>
              `${showValue(issue.input)} is not a condition; use ${CONDITION_WORDS}`,
          }),
        )
        .transform((map): Dependency[] =>
          Object.entries(map).map(([service, condition]) => ({ service, condition })),
        ),
    ],
    { error: (issue) => dependsOnMessage(issue.input) },
  )
  .prefault([])
  .meta({
    description:
      'Services to start first (each once running, started, or for a task completed or succeeded) and stop after this one.',
  });

// One message for a bad depends_on, naming the bad entry (a union error has no better place).
function dependsOnMessage(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (Array.isArray(input)) {
    const bad: unknown = (input as unknown[]).find((v) => typeof v !== 'string' || v === '');
    return `expected service names, got ${describeValue(bad)}`;
  }
  if (typeof input === 'object' && input !== null) {
    const entries = Object.entries(input as Record<string, unknown>);
    const [name, condition] =
      entries.find(([, c]) => !(CONDITIONS as readonly unknown[]).includes(c)) ?? [];
    return `${showValue(condition)} is not a condition for ${name ?? '?'}; use ${CONDITION_WORDS}`;
  }
  return `expected a list of service names or a map of name: ${CONDITIONS.join('|')}, got ${describeValue(input)}`;
}
