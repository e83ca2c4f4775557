// The `limits` key, at the top of warden.yaml (defaults for every service) and per service:
// cgroup v2 limits (memory.max, memory.high, cpu.max, pids.max) and rlimits set before the exec
// (docs/config/limits.md).
import * as z from 'zod';
import { describeValue, showValue } from './issue-messages.js';
import { parseSize } from './logs.js';
import type { LimitSpec, Rlimit, RlimitName } from './types.js';
import { DURATION_PATTERN, notADurationMessage, parseDuration } from './duration.js';

/** The built-in `limits`: none, and the memory of a process-group tree polled every second. */
export const NO_LIMITS: LimitSpec = {
  memoryBytes: null,
  memoryHighBytes: null,
  cpuCores: null,
  pids: null,
  rlimits: [],
  memoryPollMs: 1000,
};

/** The cgroup controller each cgroup limit key needs. */
export const CGROUP_KEYS = {
  memory: 'memory',
  memory_high: 'memory',
  cpu: 'cpu',
  pids: 'pids',
} as const;

// Rlimits counted in bytes (sizes allowed) and in units (plain counts).
const BYTE_RLIMITS = ['core', 'stack', 'as'] as const;
const COUNT_RLIMITS = ['nofile', 'nproc'] as const;

function sizeKey(description: string) {
  return z
    .union([z.string(), z.number()], {
      error: (issue) => `expected a size such as 512MB, got ${describeValue(issue.input)}`,
    })
    .transform((value, ctx): number => {
      const bytes = parseSize(value);
      if (bytes !== undefined && bytes >= 1) return bytes;
      const message = `${showValue(value)} is not a size; use e.g. 512MB, 1GiB (1024-based) or a number of bytes`;
      ctx.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    })
    .optional()
    .meta({ description });
}

// `50%` or `1.5` (cores) into cores; undefined when it is neither.
function parseCores(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(value.trim());
  if (m === null) return undefined;
  return m[2] === '%' ? Number(m[1]) / 100 : Number(m[1]);
}

// One side of an rlimit: `unlimited`, a count, or (byte rlimits) a size. null: unlimited.
function parseRlimitSide(text: string, isBytes: boolean): number | null | undefined {
  const t = text.trim();
  if (t === 'unlimited' || t === 'infinity') return null;
  if (/^\d+$/.test(t)) return Number(t);
  return isBytes ? parseSize(t) : undefined;
}

function rlimitKey(name: RlimitName, isBytes: boolean) {
  const example = isBytes ? '8MB, unlimited or "8MB:64MB"' : '1024, unlimited or "1024:4096"';
  return z
    .union([z.string(), z.int().min(0)], {
      error: (issue) => `expected a limit such as ${example}, got ${describeValue(issue.input)}`,
    })
    .transform((value, ctx): Rlimit => {
      const [softText = '', hardText, extra] = String(value).split(':');
      const soft = parseRlimitSide(softText, isBytes);
      const hard = hardText === undefined ? soft : parseRlimitSide(hardText, isBytes);
      const message =
        extra !== undefined || soft === undefined || hard === undefined
          ? `${showValue(value)} is not a limit; use e.g. ${example} (soft:hard)`
          : hard !== null && (soft === null || soft > hard)
            ? `the soft limit ${softText} is above the hard limit ${hardText ?? ''}`
            : undefined;
      if (message === undefined && soft !== undefined && hard !== undefined)
        return { resource: name, soft, hard };
      ctx.addIssue({ code: 'custom', message: message ?? 'invalid', input: value });
      return z.NEVER;
    })
    .optional()
    .meta({
      description: `setrlimit(2) RLIMIT_${name.toUpperCase()} before the exec: one value for both soft and hard, or "soft:hard"; unlimited allowed.`,
    });
}

/** The keys of a `limits` map. */
export const limitsShape = {
  memory: sizeKey(
    'cgroup memory.max: the OOM killer ends the instance past it. Without cgroups or the memory controller: the tree RSS polled every memory_poll, the instance restarted past it.',
  ),
  memory_high: sizeKey('cgroup memory.high: reclaim and throttling above it, before memory.'),
  cpu: z
    .union([z.string(), z.number()], {
      error: (issue) =>
        `expected a share of cores such as 50% or 1.5, got ${describeValue(issue.input)}`,
    })
    .transform((value, ctx): number => {
      const cores = parseCores(value);
      if (cores !== undefined && cores >= 0.01 && cores <= 1024) return cores;
      const message = `${showValue(value)} is not a share of cores; use e.g. 50% (half a core) or 1.5 (between 1% and 1024)`;
      ctx.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    })
    .optional()
    .meta({ description: 'cgroup cpu.max: a share of cores, 50% or 1.5, per 100ms period.' }),
  pids: z.int().min(1).optional().meta({
    description:
      'cgroup pids.max: the most processes and threads of the tree (fork fails past it).',
  }),
  memory_poll: z
    .union([z.string().regex(DURATION_PATTERN), z.number().min(0)], {
      error: (issue) => notADurationMessage(issue.input),
    })
    .transform((value, ctx): number => {
      const parsed = parseDuration(value);
      if (parsed.ok && parsed.ms >= 100) return parsed.ms;
      const message = parsed.ok ? 'must be at least 100ms' : parsed.message;
      ctx.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    })
    .optional()
    .meta({
      description:
        'Without cgroups or the memory controller: how often the tree memory is compared with memory. Default 1s.',
    }),
  core: rlimitKey('core', true),
  stack: rlimitKey('stack', true),
  as: rlimitKey('as', true),
  nofile: rlimitKey('nofile', false),
  nproc: rlimitKey('nproc', false),
};

/** The `limits` map, at the top level or in a service. */
export const limitsSchema = z.strictObject(limitsShape).optional().meta({
  description: 'Resource limits: cgroup v2 and rlimits (top level: defaults for every service).',
});

/** A `limits` map as the schema outputs it. */
export type RawLimits = z.output<typeof limitsSchema>;

/** A service's limits: each key its own, else the top-level one, else none. */
export function resolveLimits(own: RawLimits, defaults: RawLimits): LimitSpec {
  if (own === undefined && defaults === undefined) return NO_LIMITS;
  const pick = <K extends keyof NonNullable<RawLimits>>(key: K) => own?.[key] ?? defaults?.[key];
  const rlimits = [...BYTE_RLIMITS, ...COUNT_RLIMITS].flatMap((n) => pick(n) ?? []);
  return {
    memoryBytes: pick('memory') ?? null,
    memoryHighBytes: pick('memory_high') ?? null,
    cpuCores: pick('cpu') ?? null,
    pids: pick('pids') ?? null,
    rlimits,
    memoryPollMs: pick('memory_poll') ?? NO_LIMITS.memoryPollMs,
  };
}

/** The cgroup limit keys that `limits` sets (`memory`, `cpu`...), in CGROUP_KEYS order. */
export function cgroupLimitKeys(limits: LimitSpec): (keyof typeof CGROUP_KEYS)[] {
  const set: (keyof typeof CGROUP_KEYS)[] = [];
  if (limits.memoryBytes !== null) set.push('memory');
  if (limits.memoryHighBytes !== null) set.push('memory_high');
  if (limits.cpuCores !== null) set.push('cpu');
  if (limits.pids !== null) set.push('pids');
  return set;
}
