// The zod schema of the raw warden.yaml document: strict maps, defaults, durations in ms.
import * as z from 'zod';
import { parseSignal } from '../core/signals.js';
import type { Command } from './types.js';
import {
  DURATION_PATTERN,
  formatDuration,
  notADurationMessage,
  parseDuration,
} from './duration.js';
import { describeValue, showValue } from './issue-messages.js';
import { controlSchema, controlShape } from './control.js';
import { httpSchema, httpShape } from './http.js';
import { logsSchema, logsShape } from './logs.js';
import { limitsSchema, limitsShape } from './limits.js';
import { dependsOnSchema, readySchema } from './readiness.js';
import { HEALTH_KEYS, healthSchema } from './health.js';
import { WATCH_KEYS, watchSchema } from './watch.js';
import { scheduleShape } from './schedule.js';
import { privilegeShape } from './privileges.js';
import { LISTEN_ENTRY_KEYS, listenSchema } from './listen.js';
import { didYouMean } from './suggest.js';

/** Allowed service names: they become file names and `name:index` instance names. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
const KINDS = ['service', 'task'] as const;
const ON_EXIT = ['continue', 'shutdown'] as const;

/** A key that takes one of `values`, with a did-you-mean for a near miss. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) =>
      `${showValue(issue.input)} is not ${what}; use ${values.join(' or ')}` +
      (typeof issue.input === 'string' ? didYouMean(issue.input, values) : ''),
  });
}

/** A duration key: `500ms`, `10s`, `5m`, `1h`, or a number of ms; parsed to integer ms. */
function duration(defaultValue: string, description: string) {
  return durationValue()
    .prefault(defaultValue)
    .meta({ description: `${description} Default ${defaultValue}.` });
}

// A duration without a default.
function durationValue() {
  const error = (issue: { input?: unknown }) => notADurationMessage(issue.input);
  return z
    .union(
      [
        z.string().regex(DURATION_PATTERN, { error, abort: true }),
        z.number().min(0, { error, abort: true }),
      ],
      { error },
    )
    .transform((value, ctx) => {
      const parsed = parseDuration(value);
      if (parsed.ok) return parsed.ms;
      ctx.addIssue({ code: 'custom', message: parsed.message, input: value, continue: false });
      return z.NEVER;
    });
}

// In a list, the first item that is not a string: YAML reads `[true]` or `[sleep, 5]` unquoted
// as a boolean or a number.
function listItemIssue(input: unknown): string | undefined {
  if (!Array.isArray(input)) return undefined;
  const at = input.findIndex((item) => typeof item !== 'string');
  if (at < 0) return undefined;
  const item: unknown = input[at];
  const quote = ['boolean', 'number'].includes(typeof item) ? `; quote it: "${String(item)}"` : '';
  return `item ${at} is ${describeValue(item)}, not a string${quote}`;
}

/** A string command (`/bin/sh -c`) or an argv list (exec'd directly). */
const command = z
  .union(
    [
      z.string().regex(/\S/, { error: 'is empty; give a command such as "node server.js"' }),
      z
        .array(z.string(), {
          error: (issue) => `expected strings, got ${describeValue(issue.input)}`,
        })
        .min(1, { error: 'is an empty list; give the program and its arguments' }),
    ],
    {
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : (listItemIssue(issue.input) ??
            `expected a string or a list of strings, got ${describeValue(issue.input)}`),
    },
  )
  .transform((value, ctx): Command => {
    if (typeof value === 'string') return { kind: 'shell', script: value };
    const [program, ...args] = value;
    if (program === undefined || program === '') {
      ctx.addIssue({ code: 'custom', message: 'the program (first item) is empty', path: [0] });
      return z.NEVER;
    }
    return { kind: 'argv', argv: [program, ...args] };
  })
  .meta({
    description:
      "The program to run. A string is run by /bin/sh -c; a list is exec'd directly (argv[0] looked up in PATH).",
    examples: ['node server.js --port 3000', ['redis-server', '--port', '6390']],
  });

const envValue = z.union([z.string(), z.number(), z.boolean()], {
  error: (issue) => `expected a string, number or boolean, got ${describeValue(issue.input)}`,
});

const SIGNAL_HINTS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGKILL'];

const stopSignal = z
  .union([z.string(), z.int().min(1).max(31)], {
    error: (issue) => `expected a signal name such as SIGTERM, got ${describeValue(issue.input)}`,
  })
  .transform((value, ctx) => {
    const signal = parseSignal(value);
    if (signal !== undefined) return signal;
    const hint = typeof value === 'string' ? didYouMean(value.toUpperCase(), SIGNAL_HINTS) : '';
    const message = `${showValue(value)} is not a signal; use e.g. SIGTERM, SIGINT, SIGQUIT, SIGHUP${hint}`;
    ctx.addIssue({ code: 'custom', message, input: value });
    return z.NEVER;
  })
  .prefault('SIGTERM')
  .meta({
    description:
      "Signal sent to every process of the instance's tree on stop: a name such as SIGTERM or TERM (signal(7)). Default SIGTERM.",
  });

const backoffShape = {
  initial: duration('100ms', 'Delay before the first automatic restart.'),
  max: duration('30s', 'Upper bound of the delay, which doubles after each failure.'),
  reset_after: duration('10s', 'Time running after which the delay and counters reset.'),
};

const backoff = z
  .strictObject(backoffShape)
  .superRefine((value, ctx) => {
    if (value.max >= value.initial) return;
    const message = `max (${formatDuration(value.max)}) must be at least initial (${formatDuration(value.initial)})`;
    ctx.addIssue({ code: 'custom', message, path: ['max'] });
  })
  .prefault({})
  .meta({ description: 'Backoff between automatic restarts.' });

const startLimitShape = {
  burst: z.int().min(1).prefault(5).meta({
    description:
      'Failed starts tolerated within the interval before the instance is failed. Default 5.',
  }),
  interval: duration('60s', 'Sliding window over which failed starts are counted.'),
};

const serviceShape = {
  kind: oneOf(KINDS, 'a kind').prefault('service').meta({
    description:
      'service: meant to run until stopped; task: runs to its end, exit 0 is success. Default service.',
  }),
  command,
  cwd: z.string().min(1).optional().meta({
    description:
      "Working directory, relative to the config file's directory. Default: that directory.",
  }),
  env: z
    .record(
      z.string().regex(/^[^=\0]+$/, {
        error: (issue) => `${showValue(issue.input)} is not a valid variable name`,
      }),
      envValue,
    )
    .transform((env) =>
      Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)])),
    )
    .optional()
    .meta({ description: 'Environment variables; they override those of env_file.' }),
  env_file: z.string().min(1).optional().meta({
    description: "A dotenv file (KEY=value lines), relative to the config file's directory.",
  }),
  instances: z.int().min(1).max(1000).prefault(1).meta({
    description: 'Number of instances, each with WARDEN_INSTANCE=0..n-1. Default 1.',
  }),
  restart: z
    .enum(RESTART_POLICIES, {
      error: (issue) =>
        `${showValue(issue.input)} is not a restart policy; use always, on-failure or never` +
        (typeof issue.input === 'string' ? didYouMean(issue.input, RESTART_POLICIES) : ''),
    })
    .optional()
    .meta({
      description:
        'When to restart, as systemd Restart=. Default always; never for a task (whose exit 0 is never restarted).',
    }),
  backoff,
  start_limit: z.strictObject(startLimitShape).prefault({}).meta({
    description: 'More than burst failed starts within interval marks the instance failed.',
  }),
  min_uptime: duration('1s', 'Time alive after which an instance counts as running.'),
  stop_signal: stopSignal,
  stop_timeout: duration('10s', 'Time between the stop signal and SIGKILL.'),
  logs: logsSchema,
  ready: readySchema(command, duration),
  watchdog: durationValue()
    .refine((ms) => ms > 0, { error: 'must be more than 0' })
    .optional()
    .meta({
      description:
        'Kill and restart an instance that sends no sd_notify WATCHDOG=1 for this long (sets WATCHDOG_USEC).',
    }),
  runtime_max: durationValue()
    .refine((ms) => ms > 0, { error: 'must be more than 0' })
    .optional()
    .meta({
      description:
        'Restart an instance once it has been running this long (systemd RuntimeMaxSec=); not counted as a failure.',
    }),
  health: healthSchema(command, duration),
  watch: watchSchema(duration),
  ...scheduleShape,
  depends_on: dependsOnSchema,
  on_exit: oneOf(ON_EXIT, 'an on_exit action').prefault('continue').meta({
    description:
      'shutdown: never restart it, and when it ends stop every service (warden run exits with its exit code). Default continue.',
  }),
  limits: limitsSchema,
  ...privilegeShape,
  listen: listenSchema,
};

const service = z.strictObject(serviceShape).meta({ description: 'One supervised service.' });

const serviceName = z.string().regex(SERVICE_NAME_PATTERN, {
  error: (issue) =>
    `${showValue(issue.input)} is not a valid service name; use letters, digits, "_", "." and "-"` +
    ' (":" is reserved for instance names such as web:0)',
});

/** The schema of a whole config document, as read from YAML or JSON. */
export const configSchema = z
  .strictObject(
    {
      services: z
        .record(serviceName, service)
        .refine((services) => Object.keys(services).length > 0, {
          error: 'has no services; add at least one, e.g. web: { command: "node server.js" }',
        })
        .meta({ description: 'The services to supervise, by name.' }),
      logs: logsSchema,
      control: controlSchema,
      http: httpSchema,
      limits: limitsSchema,
      include: z.array(z.string()).optional().meta({
        description:
          'Other config files whose services this daemon runs too: paths or globs relative to this file (docs/config/include.md).',
      }),
      shutdown_timeout: durationValue()
        .refine((ms) => ms > 0, { error: 'must be more than 0' })
        .optional()
        .meta({
          description:
            'The longest a stop of every service may take; whatever still runs then gets SIGKILL.',
        }),
    },
    {
      error: (issue) => {
        if (issue.code !== 'invalid_type') return undefined;
        if (issue.input === null || issue.input === undefined) {
          return 'the file is empty; it needs a "services:" map';
        }
        return `expected a map with a "services" key, got ${describeValue(issue.input)}`;
      },
    },
  )
  .meta({ title: 'warden config', description: 'Services supervised by warden (warden.yaml).' });

/** A service as the schema outputs it: snake_case keys, defaults applied, durations in ms. */
export type RawService = z.output<typeof service>;

/** The whole document as the schema outputs it. */
export type RawConfig = z.output<typeof configSchema>;

const KNOWN_KEYS = {
  top: ['services', 'logs', 'control', 'http', 'limits', 'include', 'shutdown_timeout'],
  limits: Object.keys(limitsShape),
  control: Object.keys(controlShape),
  http: Object.keys(httpShape),
  service: Object.keys(serviceShape),
  backoff: Object.keys(backoffShape),
  start_limit: Object.keys(startLimitShape),
  logs: Object.keys(logsShape),
  ready: ['notify', 'fd', 'tcp', 'http', 'exec', 'log', 'timeout', 'interval'],
  listen: LISTEN_ENTRY_KEYS,
  health: HEALTH_KEYS,
  watch: WATCH_KEYS,
} as const;

/**
 * The keys allowed in the map at `path` (a zod issue path), for "did you mean" hints.
 * @returns the keys, or an empty list for a path that is not a strict map.
 */
export function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.top;
  if (path.length === 1 && path[0] === 'logs') return KNOWN_KEYS.logs;
  if (path.length === 1 && path[0] === 'control') return KNOWN_KEYS.control;
  if (path.length === 1 && path[0] === 'http') return KNOWN_KEYS.http;
  if (path.length === 1 && path[0] === 'limits') return KNOWN_KEYS.limits;
  if (path.length === 2 && path[0] === 'services') return KNOWN_KEYS.service;
  if (path.length === 3 && path[0] === 'services') {
    if (path[2] === 'backoff') return KNOWN_KEYS.backoff;
    if (path[2] === 'start_limit') return KNOWN_KEYS.start_limit;
    if (path[2] === 'logs') return KNOWN_KEYS.logs;
    if (path[2] === 'ready') return KNOWN_KEYS.ready;
    if (path[2] === 'limits') return KNOWN_KEYS.limits;
    if (path[2] === 'health') return KNOWN_KEYS.health;
    if (path[2] === 'watch') return KNOWN_KEYS.watch;
  }
  if (path.length === 4 && path[0] === 'services' && path[2] === 'listen') return KNOWN_KEYS.listen;
  return [];
}
