// Reads warden.yaml (or .json) into a validated WardenConfig, or every issue with its place.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { formatPath } from './format.js';
import { describeIssue } from './issue-messages.js';
import { configSchema } from './schema.js';
import type { RawConfig, RawService } from './schema.js';
import { configReadMessage } from './read-errors.js';
import { checkServiceFiles, readEnvFileFromDisk } from './service-files.js';
import type { ReadEnvFile } from './service-files.js';
import { dependencyIssues } from './dependencies.js';
import type { ConfigIssue, Dependency, ServiceSpec, WardenConfig } from './types.js';
import { resolveLogSpec, type RawLogs } from './logs.js';
import { locate } from './yaml-position.js';
import { fromZodIssue } from './zod-issues.js';
import type { PathIssue } from './zod-issues.js';

export type { ReadEnvFile } from './service-files.js';

/** A config, or every problem found in it (never empty). */
export type LoadResult = { ok: true; config: WardenConfig } | { ok: false; issues: ConfigIssue[] };

/** Most aliases one document may expand, against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

/** Issues in reading order: the config file's by line and column, then env files'. */
function sortIssues(file: string, issues: ConfigIssue[]): ConfigIssue[] {
  const rank = (i: ConfigIssue) => (i.file === file ? '' : i.file);
  return issues.toSorted(
    (a, b) =>
      rank(a).localeCompare(rank(b)) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** Keys named `__proto__` would be dropped silently when converted to JS objects. */
function protoKeyIssues(doc: Document, lines: LineCounter, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value !== '__proto__') return;
      const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
      issues.push({ file, line, column: col, path: '', message: '"__proto__" cannot be a key' });
    },
  });
  return issues;
}

/** Service names in the order the file lists them (JS objects put integer-like keys first). */
function serviceOrder(doc: Document): string[] {
  const services = doc.get('services');
  if (!isMap(services)) return [];
  return services.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
}

function toServiceSpec(
  name: string,
  raw: RawService,
  dir: string,
  fileEnv: Record<string, string> | undefined,
  logDefaults: RawLogs,
): ServiceSpec {
  return {
    name,
    command: raw.command,
    cwd: resolve(dir, raw.cwd ?? '.'),
    env: { ...fileEnv, ...raw.env },
    instances: raw.instances,
    restart: raw.restart,
    backoff: {
      initialMs: raw.backoff.initial,
      maxMs: raw.backoff.max,
      resetAfterMs: raw.backoff.reset_after,
    },
    startLimit: { burst: raw.start_limit.burst, intervalMs: raw.start_limit.interval },
    minUptimeMs: raw.min_uptime,
    stopSignal: raw.stop_signal,
    stopTimeoutMs: raw.stop_timeout,
    logs: resolveLogSpec(raw.logs, logDefaults),
    ready: raw.ready ?? null,
    watchdogMs: raw.watchdog ?? null,
    dependsOn: raw.depends_on,
  };
}

function dependencyMap(raw: RawConfig, order: string[]): Map<string, Dependency[]> {
  return new Map(
    order.flatMap((name) => {
      const service = Object.hasOwn(raw.services, name) ? raw.services[name] : undefined;
      return service === undefined ? [] : [[name, service.depends_on] as const];
    }),
  );
}

function buildConfig(
  path: string,
  raw: RawConfig,
  order: string[],
  envByService: Map<string, Record<string, string>>,
): WardenConfig {
  const dir = dirname(path);
  const services = order.flatMap((name) => {
    const service = Object.hasOwn(raw.services, name) ? raw.services[name] : undefined;
    return service === undefined
      ? []
      : [toServiceSpec(name, service, dir, envByService.get(name), raw.logs)];
  });
  return { path, services };
}

/**
 * Parses and validates the text of a config file. YAML and JSON are read alike (YAML 1.2 is a
 * superset of JSON). Relative `cwd` and `env_file` resolve against the directory of `file`;
 * each `cwd` must be a directory and each `env_file` is read with `readEnvFile`.
 * @param text the file's content.
 * @param file the file's path, used for messages and relative paths (made absolute).
 * @param readEnvFile reads an env file; defaults to the disk. Inject it in tests.
 * @returns the config, or every issue sorted by place; never throws for problems in the file.
 */
export async function parseConfig(
  text: string,
  file: string,
  readEnvFile: ReadEnvFile = readEnvFileFromDisk,
): Promise<LoadResult> {
  const path = resolve(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error' });
  const place = (issue: PathIssue): ConfigIssue => ({
    file: path,
    ...locate(doc, lines, issue.path, issue.target),
    path: formatPath(issue.path),
    message: issue.message,
  });

  const syntaxIssues = doc.errors.map((error): ConfigIssue => {
    const { line, col } = lines.linePos(error.pos[0]);
    return { file: path, line, column: col, path: '', message: `YAML: ${error.message}` };
  });
  if (syntaxIssues.length > 0) return { ok: false, issues: syntaxIssues };
  const protoIssues = protoKeyIssues(doc, lines, path);
  if (protoIssues.length > 0) return { ok: false, issues: protoIssues };

  let document: unknown;
  try {
    document = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = `YAML: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, issues: [{ file: path, line: 1, column: 1, path: '', message }] };
  }

  const parsed = configSchema.safeParse(document, { error: describeIssue });
  const files = await checkServiceFiles(document, dirname(path), readEnvFile);
  const pathIssues = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(fromZodIssue)),
    ...(parsed.success ? dependencyIssues(dependencyMap(parsed.data, serviceOrder(doc))) : []),
    ...files.pathIssues,
  ];
  const issues = [...pathIssues.map(place), ...files.envFileIssues];
  if (!parsed.success || issues.length > 0) return { ok: false, issues: sortIssues(path, issues) };
  return {
    ok: true,
    config: buildConfig(path, parsed.data, serviceOrder(doc), files.envByService),
  };
}

/**
 * Reads and validates a config file (see {@link parseConfig}).
 * @param file path of the file, relative to the current directory or absolute.
 * @returns the config, or its issues; an unreadable file is one issue without a line whose
 *   message starts with the errno name, e.g. `ENOENT: no such file; create warden.yaml or pass -f FILE`.
 *   Never throws for problems in the file or its env files.
 */
export async function loadConfig(file: string): Promise<LoadResult> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, issues: [{ file: path, path: '', message: configReadMessage(error) }] };
  }
  return parseConfig(text, path);
}
