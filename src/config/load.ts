// Reads warden.yaml (or .json) into a validated WardenConfig, or every issue with its place.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { MIB, readRegularFile } from '../effects/files/regular-file.js';
import { checkDocument, type LoadResult } from './document.js';
import { formatPath } from './format.js';
import { isProcfileName, parseProcfile, procfileDocument } from './procfile.js';
import { configReadMessage } from './read-errors.js';
import { readEnvFileFromDisk } from './service-files.js';
import type { ReadEnvFile } from './service-files.js';
import type { ConfigIssue } from './types.js';
import { locate } from './yaml-position.js';
import type { PathIssue } from './zod-issues.js';

export type { ReadEnvFile } from './service-files.js';
export type { ConfigSource, LoadResult } from './document.js';

/** The largest config file read, in bytes: a larger one is refused before it is read. */
export const CONFIG_LIMIT_BYTES = 10 * MIB;

/** Most aliases one document may expand, against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

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

  return checkDocument({ document, order: serviceOrder(doc) }, path, place, readEnvFile);
}

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** For a Procfile: PORT per process type from this base, as foreman (docs/cli/up.md). */
  portBase?: number;
}

/**
 * Reads a Procfile (foreman's format) as a config: a service per process type, the `.env`
 * beside it as their env_file when there is one. Issues name the Procfile's lines.
 */
async function parseProcfileConfig(
  text: string,
  path: string,
  options: LoadOptions,
): Promise<LoadResult> {
  const parsed = parseProcfile(text, path);
  if (!parsed.ok) return parsed;
  const envFile = existsSync(join(dirname(path), '.env')) ? '.env' : undefined;
  const source = procfileDocument(parsed.entries, { envFile, portBase: options.portBase });
  const lineOf = new Map(parsed.entries.map((e) => [e.name, e.line]));
  const place = (issue: PathIssue): ConfigIssue => ({
    file: path,
    line: lineOf.get(String(issue.path[1])) ?? 1,
    column: 1,
    path: formatPath(issue.path),
    message: issue.message,
  });
  const loaded = await checkDocument(source, path, place);
  if (loaded.ok && options.portBase !== undefined) loaded.config.portBase = options.portBase;
  return loaded;
}

/**
 * Reads and validates a config file (see {@link parseConfig}); a file named `Procfile` or
 * `Procfile.*` is read as a Procfile (see procfile.ts).
 * @param file path of the file, relative to the current directory or absolute.
 * @returns the config, or its issues; an unreadable file is one issue without a line whose
 *   message starts with the errno name, e.g. `ENOENT: no such file; create warden.yaml or pass -f FILE`,
 *   or says what the file is when it is not a regular file or is over {@link CONFIG_LIMIT_BYTES}.
 *   Never throws for problems in the file or its env files.
 */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readRegularFile(path, CONFIG_LIMIT_BYTES);
  } catch (error) {
    return { ok: false, issues: [{ file: path, path: '', message: configReadMessage(error) }] };
  }
  return isProcfileName(path) ? parseProcfileConfig(text, path, options) : parseConfig(text, path);
}
