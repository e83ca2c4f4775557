// The checks of a config document (what a YAML or JSON file holds, as plain data): the schema,
// dependencies, cwd and env files; and its conversion to a WardenConfig. The YAML side, with the
// line and column of each issue, is load.ts; the daemon checks a document the CLI read (and
// checked) without loading a YAML parser (docs/benchmarks.md: 13 MB of the daemon's memory).
import { dirname, resolve } from 'node:path';
import { formatPath } from './format.js';
import { describeIssue } from './issue-messages.js';
import { configSchema } from './schema.js';
import type { RawConfig, RawService } from './schema.js';
import { checkCwds, readEnvFileFromDisk, readServiceEnvFiles } from './service-files.js';
import type { DirOf, ReadEnvFile } from './service-files.js';
import { interpolateServices, type Lookup } from './variables.js';
import { dependencyIssues } from './dependencies.js';
import { listenIssues } from './listen-checks.js';
import { toWatchSpec } from './watch.js';
import { scheduleIssues, toScheduleSpec } from './schedule.js';
import type { ConfigIssue, Dependency, RunAs, ServiceSpec, WardenConfig } from './types.js';
import { resolveLogSpec } from './logs.js';
import { resolveLimits } from './limits.js';
import { fromZodIssue } from './zod-issues.js';
import { rawPrivilegesOf, resolveRunAs } from './privileges.js';
import { resolveControl } from './control.js';
import { resolveHttp } from './http.js';
import type { PathIssue } from './zod-issues.js';

/** A config, or every problem found in it (never empty). */
export type LoadResult =
  { ok: true; config: WardenConfig; source: ConfigSource } | { ok: false; issues: ConfigIssue[] };

/**
 * A config document as plain data (the file converted to JS values), with its service names in
 * the file's order (JS objects put integer-like keys first). The CLI sends it with `up`.
 */
export interface ConfigSource {
  document: unknown;
  order: string[];
  /**
   * The directory of the file that defines each service, for those not in the config file
   * itself (`include`, docs/config/include.md): their relative paths resolve against it.
   */
  dirs?: Record<string, string>;
}

/** The variables `${VAR}` takes from the environment (docs/config/variables.md). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Issues in reading order: the config file's by line and column, then other files'. */
export function sortIssues(file: string, issues: ConfigIssue[]): ConfigIssue[] {
  const rank = (i: ConfigIssue) => (i.file === file ? '' : i.file);
  return issues.toSorted(
    (a, b) =>
      rank(a).localeCompare(rank(b)) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

function toServiceSpec(
  name: string,
  raw: RawService,
  dir: string,
  fileEnv: Record<string, string> | undefined,
  defaults: Pick<RawConfig, 'logs' | 'limits'>,
  runAs: RunAs | null,
  deps: { listed: boolean; kindOf: (service: string) => string | undefined },
): ServiceSpec {
  // A list entry waits for a service to run; for a task, which ends, that means to succeed.
  const { listed, kindOf } = deps;
  return {
    name,
    command: raw.command,
    cwd: resolve(dir, raw.cwd ?? '.'),
    env: { ...fileEnv, ...raw.env },
    instances: raw.instances,
    kind: raw.kind,
    onExit: raw.on_exit,
    restart: raw.restart ?? (raw.kind === 'task' ? 'never' : 'always'),
    backoff: {
      initialMs: raw.backoff.initial,
      maxMs: raw.backoff.max,
      resetAfterMs: raw.backoff.reset_after,
    },
    startLimit: { burst: raw.start_limit.burst, intervalMs: raw.start_limit.interval },
    minUptimeMs: raw.min_uptime,
    stopSignal: raw.stop_signal,
    stopTimeoutMs: raw.stop_timeout,
    logs: resolveLogSpec(raw.logs, defaults.logs),
    ready: raw.ready ?? null,
    watchdogMs: raw.watchdog ?? null,
    runtimeMaxMs: raw.runtime_max ?? null,
    health: raw.health ?? null,
    watch: toWatchSpec(raw.watch, (path) => resolve(dir, raw.cwd ?? '.', path)),
    schedule: toScheduleSpec(raw),
    dependsOn: raw.depends_on.map((d) =>
      listed && kindOf(d.service) === 'task' ? { ...d, condition: 'succeeded' } : d,
    ),
    privileges: {
      runAs,
      umask: raw.umask ?? null,
      noNewPrivileges: raw.no_new_privileges,
      capabilities: raw.capabilities ?? [],
    },
    limits: resolveLimits(raw.limits, defaults.limits),
    listen: raw.listen.map((l) =>
      l.bind.kind === 'unix' ? { ...l, bind: { ...l.bind, path: resolve(dir, l.bind.path) } } : l,
    ),
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

// The services' `listen` and `ready`, in file order, for the checks across services.
function listenOwners(raw: RawConfig, order: string[]) {
  return order.flatMap((name) => {
    const s = Object.hasOwn(raw.services, name) ? raw.services[name] : undefined;
    return s === undefined ? [] : [{ name, listen: s.listen, ready: s.ready }];
  });
}

// The services whose `depends_on` is written as a map: the schema turns both forms into a list.
function mapForms(document: unknown): Set<string> {
  const services = (document as { services?: unknown }).services;
  if (typeof services !== 'object' || services === null) return new Set();
  const written = Object.entries(services as Record<string, unknown>).filter(([, raw]) => {
    const deps = (raw as { depends_on?: unknown } | null)?.depends_on;
    return typeof deps === 'object' && deps !== null && !Array.isArray(deps);
  });
  return new Set(written.map(([name]) => name));
}

function buildConfig(
  path: string,
  dirOf: DirOf,
  raw: RawConfig,
  order: string[],
  envByService: Map<string, Record<string, string>>,
  runAsByService: Map<string, RunAs | null>,
  mapForm: ReadonlySet<string>,
): WardenConfig {
  const kindOf = (name: string) =>
    Object.hasOwn(raw.services, name) ? raw.services[name]?.kind : undefined;
  const services = order.flatMap((name) => {
    const service = Object.hasOwn(raw.services, name) ? raw.services[name] : undefined;
    return service === undefined
      ? []
      : [
          toServiceSpec(
            name,
            service,
            dirOf(name),
            envByService.get(name),
            raw,
            runAsByService.get(name) ?? null,
            { listed: !mapForm.has(name), kindOf },
          ),
        ];
  });
  return { path, services };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Own keys named `__proto__` (JSON.parse makes them; zod would drop them without a word).
function protoKeys(value: unknown, path: PropertyKey[]): PathIssue[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => protoKeys(v, [...path, i]));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === '__proto__'
      ? [{ path, target: 'key' as const, message: '"__proto__" cannot be a key' }]
      : protoKeys(v, [...path, k]),
  );
}

// `order` must name each service of the document once: the config is built in that order.
function orderIssues(document: unknown, order: readonly string[]): PathIssue[] {
  if (!isRecord(document) || !isRecord(document.services)) return []; // the schema says why
  const names = Object.keys(document.services);
  const listed = new Set(order);
  const isPermutation =
    listed.size === order.length &&
    order.length === names.length &&
    names.every((n) => listed.has(n));
  if (isPermutation) return [];
  const message = `the service order [${order.join(', ')}] does not name each of [${names.join(', ')}] once`;
  return [{ path: ['services'], target: 'key', message }];
}

// Whether `issues` has one at `path` already (a cwd whose variables failed is not checked).
function isNamed(issues: readonly PathIssue[], path: readonly PropertyKey[]): boolean {
  return issues.some((i) => formatPath(i.path) === formatPath(path));
}

/**
 * Checks `source` (the document of the config file at `path`) and builds the config.
 * @param place gives an issue its place in the file (line and column when the caller has them).
 * @param readEnvFile reads an env file; defaults to the disk.
 * @param environment the variables of `${VAR}` (docs/config/variables.md): the process's own,
 *   the daemon's when the daemon checks; each service's env_file gives those it lacks.
 * @returns the config, or every issue sorted by place; never throws for problems in it.
 */
export async function checkDocument(
  source: ConfigSource,
  path: string,
  place: (issue: PathIssue) => ConfigIssue = (issue) => ({
    file: path,
    path: formatPath(issue.path),
    message: issue.message,
  }),
  readEnvFile: ReadEnvFile = readEnvFileFromDisk,
  environment: Environment = process.env,
): Promise<LoadResult> {
  const { order } = source;
  // A document that came as JSON (`up` over the socket) was not checked for these by load.ts.
  const shapeIssues = [...protoKeys(source.document, []), ...orderIssues(source.document, order)];
  if (shapeIssues.length > 0) return { ok: false, issues: shapeIssues.map(place) };
  const dirs = source.dirs ?? {};
  const dirOf: DirOf = (name) => (Object.hasOwn(dirs, name) ? (dirs[name] ?? '') : dirname(path));
  // env_file paths take variables from the environment; the rest from the env file too.
  const fromEnvironment: Lookup = (name) => environment[name];
  const paths = interpolateServices(source.document, ['env_file'], () => fromEnvironment);
  const files = await readServiceEnvFiles(paths.document, dirOf, readEnvFile);
  const values = interpolateServices(paths.document, ['command', 'cwd', 'env'], (service) => {
    const fileEnv = files.envByService.get(service) ?? {};
    return (name) =>
      environment[name] ?? (Object.hasOwn(fileEnv, name) ? fileEnv[name] : undefined);
  });
  const document = values.document;
  const parsed = configSchema.safeParse(document, { error: describeIssue });
  const runAsByService = new Map<string, RunAs | null>();
  const rawServices = isRecord(document) && isRecord(document.services) ? document.services : {};
  const runAsIssues = Object.entries(rawServices).flatMap(([name, service]) => {
    const { runAs, issues } = resolveRunAs(name, rawPrivilegesOf(service));
    runAsByService.set(name, runAs);
    return issues;
  });
  const control = resolveControl(document);
  const pathIssues = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(fromZodIssue)),
    ...runAsIssues,
    ...control.issues,
    ...(parsed.success
      ? dependencyIssues(dependencyMap(parsed.data, order), mapForms(document))
      : []),
    ...(parsed.success ? listenIssues(listenOwners(parsed.data, order)) : []),
    ...(parsed.success ? await scheduleIssues(parsed.data.services) : []),
    ...paths.issues,
    ...values.issues,
    ...(await checkCwds(document, dirOf)).filter((i) => !isNamed(values.issues, i.path)),
    ...files.pathIssues,
  ];
  const issues = [...pathIssues.map(place), ...files.envFileIssues];
  if (!parsed.success || issues.length > 0) return { ok: false, issues: sortIssues(path, issues) };
  const config = buildConfig(
    path,
    dirOf,
    parsed.data,
    order,
    files.envByService,
    runAsByService,
    mapForms(document),
  );
  if (parsed.data.shutdown_timeout !== undefined)
    config.shutdownTimeoutMs = parsed.data.shutdown_timeout;
  if (control.control !== undefined) config.control = control.control;
  if (parsed.data.http !== undefined) config.http = resolveHttp(parsed.data.http, dirname(path));
  return { ok: true, config, source };
}
