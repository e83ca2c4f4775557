// The schema of `health`: liveness probes after `running` (docs/config/health.md), with the
// probe kinds of `ready` that ask the service from outside: tcp, http, exec.
import * as z from 'zod';
import type { Command, HealthCheck, HealthSpec } from '../core/spec.js';
import { showValue } from './issue-messages.js';
import { exactlyOne, parseTcpTarget } from './readiness.js';

const SOURCES = ['tcp', 'http', 'exec'] as const;

/** The keys of `health`, for "did you mean" hints. */
export const HEALTH_KEYS = [...SOURCES, 'interval', 'timeout', 'failures', 'start_period'];

/**
 * Builds the `health` schema around the service `command` schema (for `health.exec`) and the
 * `duration` builder of schema.ts.
 */
export function healthSchema(
  command: z.ZodType<Command>,
  duration: (d: string, what: string) => z.ZodType<number>,
) {
  const shape = {
    tcp: z.union([z.int(), z.string()]).optional().meta({
      description: 'Healthy when a TCP connect to PORT or HOST:PORT (host 127.0.0.1) is accepted.',
    }),
    http: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .optional()
      .meta({ description: 'Healthy when a GET of the URL answers 2xx or 3xx.' }),
    exec: command.optional().meta({ description: 'Healthy when this command exits 0.' }),
    interval: duration(
      '10s',
      'Time from the end of one probe to the next (the first: after running).',
    ),
    timeout: duration(
      '5s',
      'A probe not passed within this long has failed (an exec probe is killed).',
    ),
    failures: z.int().min(1).max(1000).prefault(3).meta({
      description: 'Consecutive failed probes that restart the instance, as a failure. Default 3.',
    }),
    start_period: duration('0s', 'Failed probes in this time after running do not count.'),
  };
  return z
    .strictObject(shape)
    .superRefine(exactlyOne(SOURCES, 'probe'), {
      when: (payload) => payload.issues.length === 0,
    })
    .transform((raw, ctx): HealthSpec => {
      const check = toCheck(raw, ctx);
      if (check === undefined) return z.NEVER;
      return {
        check,
        intervalMs: Math.max(raw.interval, 1),
        timeoutMs: Math.max(raw.timeout, 1),
        failures: raw.failures,
        startPeriodMs: raw.start_period,
      };
    })
    .optional()
    .meta({
      description:
        'Liveness probes while running (tcp, http or exec); `failures` consecutive failures restart the instance.',
    });
}

function toCheck(
  raw: { tcp?: string | number; http?: string; exec?: Command },
  ctx: z.RefinementCtx,
): HealthCheck | undefined {
  if (raw.http !== undefined) return { kind: 'http', url: raw.http };
  if (raw.exec !== undefined) return { kind: 'exec', command: raw.exec };
  // No probe at all: the refinement said so, or another issue (an unknown key) comes first.
  if (raw.tcp === undefined) return undefined;
  const target = parseTcpTarget(raw.tcp ?? '');
  if (target !== undefined) return { kind: 'tcp', ...target };
  const message = `${showValue(raw.tcp)} is not a port or HOST:PORT (1-65535)`;
  ctx.addIssue({ code: 'custom', message, path: ['tcp'], input: raw.tcp });
  return undefined;
}
