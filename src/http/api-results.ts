// The results of the protocol's methods as JSON Schema (2020-12) for the OpenAPI document: the
// shapes of ipc/protocol.ts and core/status.ts, written down once here (TypeScript types leave
// no trace at run time). They describe the main fields; objects allow more, as newer daemons
// add fields (docs/protocol.md "Compatibility").
import { STATE_NAMES } from '../core/instance.js';
import type { InstanceStatus } from '../core/status.js';

/** A JSON Schema, as plain data. */
export type JsonSchema = { readonly [key: string]: unknown };

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const object = (properties: Record<string, JsonSchema>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
});
const names = arrayOf(str);
const state = { type: 'string', enum: STATE_NAMES };
const ms = { type: 'number', description: 'ms since the epoch' };

const tree = object({
  pids: int,
  memoryBytes: int,
  peakMemoryBytes: int,
  cpuSeconds: num,
  cpuPercent: nullable(num),
});

const lastExit = {
  description:
    '`{code}`, `{signal, coreDumped}`, `{unknown}`, or a spawn failure `{spawnError, path, message}`',
  anyOf: [
    object({ code: int }),
    object({ signal: str, coreDumped: bool }, ['signal', 'coreDumped']),
    object({ unknown: str }),
    object({ spawnError: str, path: str, message: str }),
  ],
};

// Every field of `status --json`'s instance (core/status.ts InstanceStatus): a field added
// there does not compile here until the document describes it.
const instanceFields = {
  name: str,
  service: str,
  kind: { type: 'string', enum: ['service', 'task'] },
  state,
  pid: nullable(int),
  since: ms,
  restarts: int,
  lastExit: nullable(lastExit),
  nextRestartAt: nullable(ms),
  attempt: nullable(int),
  reason: nullable(str),
  ranMs: { ...nullable(num), description: 'how long a task that ended ran (ms)' },
  lastStderr: names,
  stderrSummary: names,
  readySource: str,
  statusText: nullable(str),
  waiting: nullable(str),
  startedAt: nullable(ms),
  tree: nullable(tree),
  logs: object({ droppedLines: int, error: nullable(str) }),
  health: nullable(
    object({
      state: { type: 'string', enum: ['ok', 'failing', 'off'] },
      failures: int,
      threshold: int,
      lastError: nullable(str),
      lastRestart: nullable(object({ at: ms, reason: str })),
    }),
  ),
  watch: nullable(
    object({ applying: bool, lastChangeAt: nullable(ms), notApplied: nullable(str) }),
  ),
  schedule: nullable(
    object({
      cron: str,
      timezone: nullable(str),
      overlap: { type: 'string', enum: ['skip', 'queue', 'replace'] },
      nextRunAt: nullable(ms),
      lastRuns: arrayOf(
        object({
          startedAt: ms,
          durationMs: nullable({ type: 'number', description: 'ms' }),
          exit: nullable(lastExit),
        }),
      ),
      skipped: int,
      queued: bool,
    }),
  ),
} satisfies Record<keyof InstanceStatus, JsonSchema>;
const instance = object(instanceFields, [
  'name',
  'service',
  'state',
  'pid',
  'since',
  'restarts',
  'lastExit',
]);

const plan = object({
  added: names,
  removed: names,
  changed: names,
  updated: names,
  scaled: arrayOf(object({ service: str, from: int, to: int })),
  unchanged: names,
  restarted: names,
});

/** The result of each served method, by kind. */
export const RESULTS = {
  hello: object({ protocol: int, version: str, pid: int }),
  status: object({
    daemon: object({
      pid: int,
      version: str,
      home: str,
      config: nullable(str),
      containment: { type: 'string', enum: ['cgroup', 'process-group'] },
    }),
    instances: arrayOf(instance),
    sockets: arrayOf({ type: 'object' }),
  }),
  plan,
  names: object({ instances: names }),
  stopped: object({
    instances: arrayOf({
      allOf: [instance, object({ survivors: arrayOf(int) })],
    }),
  }),
  signal: object({ signal: str, instances: names }),
  waited: object({ instances: arrayOf(instance) }),
  ps: arrayOf(
    object({
      instance: str,
      state,
      pid: nullable(int),
      processes: arrayOf(
        object({ pid: int, ppid: int, command: str, rssBytes: int, cpuSeconds: num }),
      ),
      tree: nullable(tree),
      sockets: arrayOf(object({ fd: int, name: str, bound: str })),
    }),
  ),
  files: object({ files: names }),
  instance,
  state,
} satisfies Record<string, JsonSchema>;
