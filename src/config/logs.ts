// The `logs` key, at the top of warden.yaml (defaults for every service) and per service:
// rotation by size, the number of rotated files, compression, line format, time zone.
import * as z from 'zod';
import { describeValue, showValue } from './issue-messages.js';
import type { LogSpec } from './types.js';

/** Sizes: `10MB`, `512KB`, `1G`, `64KiB`, `100B`, or a number of bytes; K/M/G are powers of 1024. */
export const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?$/i;

const UNIT_BYTES: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Bytes of a size string or number, or undefined when it is not one. */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number')
    return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  const m = SIZE_PATTERN.exec(input.trim());
  if (m === null) return undefined;
  const unit = (m[2] ?? '').toUpperCase().charAt(0);
  return Math.round(Number(m[1]) * (UNIT_BYTES[unit] ?? 1));
}

/** The built-in defaults of `logs` (README "Config", docs/config/logs.md). */
export const DEFAULT_LOG_SPEC: LogSpec = {
  maxBytes: 10 * 1024 * 1024,
  keep: 5,
  compress: false,
  format: 'text',
  time: 'utc',
  maxLineBytes: 16 * 1024,
};

function size(min: number, max: number, description: string, allowOff: boolean) {
  const hint = `use e.g. 10MB, 512KB, 1GB${allowOff ? ' or off' : ''}`;
  return z
    .union([z.string(), z.number(), z.boolean()], {
      error: (issue) => `expected a size such as 10MB, got ${describeValue(issue.input)}`,
    })
    .transform((value, ctx): number | null => {
      if (allowOff && (value === 'off' || value === false)) return null;
      const bytes = typeof value === 'boolean' ? undefined : parseSize(value);
      if (bytes === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${showValue(value)} is not a size; ${hint}`,
          input: value,
        });
        return z.NEVER;
      }
      if (bytes < min || bytes > max) {
        const message = `${showValue(value)} is out of range: between ${min} and ${max} bytes`;
        ctx.addIssue({ code: 'custom', message, input: value });
        return z.NEVER;
      }
      return bytes;
    })
    .optional()
    .meta({ description });
}

/** The keys of a `logs` map. */
export const logsShape = {
  max_size: size(
    1024,
    2 ** 50,
    'Size at which the log file is rotated (10MB, 512KB, 1GB; K/M/G are 1024-based), or off. Default 10MB.',
    true,
  ),
  keep: z.int().min(0).max(1000).optional().meta({
    description: 'Rotated files kept: NAME.log.1 (newest) ... NAME.log.KEEP. Default 5.',
  }),
  compress: z.boolean().optional().meta({
    description: 'gzip each rotated file in the background (NAME.log.1.gz). Default false.',
  }),
  format: z.enum(['text', 'json']).optional().meta({
    description:
      'text: "TIME INSTANCE STREAM | text"; json: one JSON object per line. Default text.',
  }),
  time: z.enum(['utc', 'local']).optional().meta({
    description:
      'Timestamps in UTC (Z) or local time with its offset; ISO 8601 with ms. Default utc.',
  }),
  max_line: size(
    256,
    1024 * 1024,
    'Longest line kept whole; longer ones are split. Default 16KB.',
    false,
  ),
};

/** The `logs` map, at the top level or in a service. */
export const logsSchema = z
  .strictObject(logsShape)
  .optional()
  .meta({ description: 'Log capture and rotation (top level: defaults for every service).' });

/** A `logs` map as the schema outputs it. */
export type RawLogs = z.output<typeof logsSchema>;

/** A service's log settings: its own keys, else the top-level ones, else the built-in defaults. */
export function resolveLogSpec(own: RawLogs, defaults: RawLogs): LogSpec {
  const pick = <K extends keyof NonNullable<RawLogs>>(key: K) => own?.[key] ?? defaults?.[key];
  const maxSize = own?.max_size !== undefined ? own.max_size : defaults?.max_size;
  return {
    maxBytes: maxSize === undefined ? DEFAULT_LOG_SPEC.maxBytes : maxSize,
    keep: pick('keep') ?? DEFAULT_LOG_SPEC.keep,
    compress: pick('compress') ?? DEFAULT_LOG_SPEC.compress,
    format: pick('format') ?? DEFAULT_LOG_SPEC.format,
    time: pick('time') ?? DEFAULT_LOG_SPEC.time,
    maxLineBytes: pick('max_line') ?? DEFAULT_LOG_SPEC.maxLineBytes,
  };
}
