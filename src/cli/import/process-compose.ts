// `warden import process-compose FILE`: the processes of a process-compose.yaml as warden
// services; depends_on conditions and readiness and liveness probes become warden's depends_on,
// ready and health, and a process another waits for to complete a task.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseYamlOrJson } from './pm2-load.js';
import { healthOf, readyOf } from './process-compose-probes.js';
import {
  cwdFor,
  durationOf,
  ImportError,
  keyValue,
  NoteBook,
  serviceNameOf,
  type Imported,
} from './model.js';

/** Options of {@link importProcessCompose}. */
export interface ProcessComposeOptions {
  /** The directory of the warden.yaml written. */
  outDir: string;
}

type Raw = Record<string, unknown>;
type Note = (key: string, value: unknown, action: string, why: string) => void;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// `environment: ["KEY=value", ...]` (or a map) as an env map.
function envOf(value: unknown): Record<string, string> {
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  if (!Array.isArray(value)) return {};
  return Object.fromEntries(
    value.map(String).map((item) => {
      const at = item.indexOf('=');
      return at < 0 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
    }),
  );
}

// A signal number as its name (2 -> SIGINT); the number itself when it has none.
function signalName(signal: number): string | number {
  const found = Object.entries(constants.signals).find(([, n]) => n === signal);
  return found?.[0] ?? signal;
}

// process-compose conditions and warden's: process_healthy needs the dependency's ready check.
// A dependency waited for until it completes is a one-shot: it becomes a task.
const CONDITIONS: Readonly<Record<string, string>> = {
  process_started: 'started',
  process_healthy: 'running',
  process_log_ready: 'running',
  process_completed: 'completed',
  process_completed_successfully: 'succeeded',
};
const COMPLETES = new Set(['process_completed', 'process_completed_successfully']);

// The processes another one waits for to complete (its depends_on condition says so).
function awaitedToComplete(processes: Raw): Set<string> {
  const awaited = new Set<string>();
  for (const p of Object.values(processes)) {
    const deps = isRecord(p) && isRecord(p.depends_on) ? p.depends_on : {};
    for (const [dep, raw] of Object.entries(deps))
      if (isRecord(raw) && typeof raw.condition === 'string' && COMPLETES.has(raw.condition))
        awaited.add(dep);
  }
  return awaited;
}

/** One process as a service's fields. */
function translate(
  name: string,
  p: Raw,
  global: Record<string, string>,
  note: Note,
  outDir: string,
  baseDir: string,
  isTask: boolean,
): Raw {
  if (typeof p.command !== 'string' || p.command.trim() === '')
    throw new ImportError(`processes.${name} has no command`);
  const fields: Raw = { command: p.command };
  if (isTask) fields.kind = 'task';
  const cwd = cwdFor(
    outDir,
    resolve(baseDir, typeof p.working_dir === 'string' ? p.working_dir : '.'),
  );
  if (cwd !== undefined) fields.cwd = cwd;
  const env = { ...global, ...envOf(p.environment) };
  if (Object.keys(env).length > 0) fields.env = env;
  if (typeof p.replicas === 'number' && p.replicas > 1) fields.instances = p.replicas;
  const availability = isRecord(p.availability) ? p.availability : {};
  const restart = availability.restart;
  if (restart === 'always') fields.restart = 'always';
  else if (restart === 'on_failure') fields.restart = 'on-failure';
  else if (restart === 'exit_on_failure') {
    fields.restart = 'never';
    note(
      'availability.restart',
      restart,
      'written as restart: never',
      'to stop every service when one fails, run "warden run --exit-on-failure" (it applies to all)',
    );
  } else fields.restart = 'never'; // process-compose's default is `no`
  if (typeof availability.backoff_seconds === 'number')
    fields.backoff = {
      initial: durationOf(availability.backoff_seconds * 1000),
      max: durationOf(availability.backoff_seconds * 1000),
    };
  if (typeof availability.max_restarts === 'number' && availability.max_restarts > 0) {
    fields.start_limit = { burst: availability.max_restarts };
    note(
      'availability.max_restarts',
      availability.max_restarts,
      `written as start_limit: {burst: ${availability.max_restarts}}`,
      'warden counts failed starts within start_limit.interval (60s), process-compose all restarts',
    );
  }
  if (availability.exit_on_end === true) fields.on_exit = 'shutdown';
  const probe = isRecord(p.readiness_probe) ? readyOf(p.readiness_probe, note) : undefined;
  if (probe !== undefined) fields.ready = probe;
  else if (typeof p.ready_log_line === 'string')
    fields.ready = { log: p.ready_log_line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') };
  if (isRecord(p.depends_on)) {
    const deps: Raw = {};
    for (const [dep, raw] of Object.entries(p.depends_on)) {
      const condition =
        isRecord(raw) && typeof raw.condition === 'string' ? raw.condition : 'process_started';
      const mapped = CONDITIONS[condition];
      deps[serviceNameOf(dep, dep)] = mapped ?? 'started';
      if (mapped === undefined)
        note(
          `depends_on.${dep}.condition`,
          condition,
          'written as started',
          'not a condition this importer knows; it starts after it was started',
        );
    }
    fields.depends_on = deps;
  }
  if (isRecord(p.shutdown)) {
    const s = p.shutdown;
    if (typeof s.signal === 'number') fields.stop_signal = signalName(s.signal);
    if (typeof s.timeout_seconds === 'number')
      fields.stop_timeout = durationOf(s.timeout_seconds * 1000);
    if (s.command !== undefined)
      note(
        'shutdown.command',
        s.command,
        'not translated',
        'warden stops with stop_signal to the whole tree, then SIGKILL after stop_timeout',
      );
  }
  const health = isRecord(p.liveness_probe) ? healthOf(p.liveness_probe, note) : undefined;
  if (health !== undefined) fields.health = health;
  const handled = new Set([
    'liveness_probe',
    'command',
    'working_dir',
    'environment',
    'replicas',
    'availability',
    'readiness_probe',
    'ready_log_line',
    'depends_on',
    'shutdown',
  ]);
  for (const [key, value] of Object.entries(p)) {
    if (handled.has(key)) continue;
    const why: Record<string, string> = {
      log_location: `warden keeps output in logs/${name}.log of its home ("warden logs ${name}")`,
      is_daemon:
        'warden follows the whole process tree of a daemon that forks, but a main process that exits counts as an exit',
      namespace: 'warden has no namespaces',
      description: 'kept as a comment',
    };
    note(key, value, 'not translated', why[key] ?? 'no warden equivalent known to this importer');
  }
  return fields;
}

/**
 * Reads the process-compose file at `file` (absolute).
 * @throws ImportError for YAML errors (with line and column) or a file without processes
 */
export function importProcessCompose(file: string, options: ProcessComposeOptions): Imported {
  const doc = parseYamlOrJson(readFileSync(file, 'utf8'), file);
  const processes = isRecord(doc) ? doc.processes : undefined;
  if (!isRecord(doc) || !isRecord(processes) || Object.keys(processes).length === 0)
    throw new ImportError(
      `${file}: has no "processes:" map; a process-compose file lists processes: {NAME: {command: ...}}`,
    );
  const notes = new NoteBook(file);
  for (const key of Object.keys(doc).filter(
    (k) => !['processes', 'version', 'environment'].includes(k),
  ))
    notes.add({
      key: keyValue(key, doc[key]),
      action: 'not translated',
      why: "process-compose's own setting; warden's are its home and docs/config/logs.md",
    });
  const global = envOf(doc.environment);
  const tasks = awaitedToComplete(processes);
  const services = Object.entries(processes).map(([raw, p]) => {
    const name = serviceNameOf(raw, 'process');
    const note: Note = (key, value, action, why) =>
      notes.add({ service: name, key: keyValue(key, value), action, why });
    if (!isRecord(p)) throw new ImportError(`${file}: processes.${raw} is not a map`);
    if (p.disabled === true)
      note(
        'disabled',
        true,
        'kept, as a service',
        `"warden up" starts every service; to leave this one out, name the others: warden up A B`,
      );
    const { disabled: _disabled, ...rest } = p;
    try {
      const fields = translate(
        name,
        rest,
        global,
        note,
        options.outDir,
        dirname(file),
        tasks.has(raw),
      );
      return { name, fields, comments: typeof p.description === 'string' ? [p.description] : [] };
    } catch (error) {
      if (error instanceof ImportError) throw new ImportError(`${file}: ${error.message}`);
      throw error;
    }
  });
  return { from: `${file} (process-compose)`, services, notes: notes.notes };
}
