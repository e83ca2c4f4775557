// Reads warden.yaml (or .json) into a validated WardenConfig, or every issue with its place.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MIB, readRegularFile } from '../effects/files/regular-file.js';
import { checkDocument, sortIssues, type Environment, type LoadResult } from './document.js';
import { formatPath } from './format.js';
import { isProcfileName, parseProcfile, procfileDocument } from './procfile.js';
import { configReadMessage } from './read-errors.js';
import { readEnvFileFromDisk } from './service-files.js';
import type { ReadEnvFile } from './service-files.js';
import type { ConfigIssue } from './types.js';
import { parseYamlFile, placeIn, serviceOrder } from './yaml-file.js';
import type { PathIssue } from './zod-issues.js';

export type { ReadEnvFile } from './service-files.js';
export type { ConfigSource, LoadResult } from './document.js';

/** The largest config file read, in bytes: a larger one is refused before it is read. */
export const CONFIG_LIMIT_BYTES = 10 * MIB;

/**
 * Parses and validates the text of a config file. YAML and JSON are read alike (YAML 1.2 is a
 * superset of JSON). Relative `cwd` and `env_file` resolve against the directory of `file`;
 * each `cwd` must be a directory and each `env_file` is read with `readEnvFile`.
 * @param text the file's content.
 * @param file the file's path, used for messages and relative paths (made absolute).
 * @param readEnvFile reads an env file; defaults to the disk. Inject it in tests.
 * @param environment the variables of `${VAR}` (docs/config/variables.md).
 * @returns the config, or every issue sorted by place; never throws for problems in the file.
 */
export async function parseConfig(
  text: string,
  file: string,
  readEnvFile: ReadEnvFile = readEnvFileFromDisk,
  environment: Environment = process.env,
): Promise<LoadResult> {
  const path = resolve(file);
  const parsed = parseYamlFile(text, path);
  if (!parsed.ok) return parsed;
  const main = parsed.file;
  const document = main.value;
  if (typeof document === 'object' && document !== null && Object.hasOwn(document, 'include')) {
    // Loaded only for a config with `include` (with its glob library). The path is written from
    // src/config's parent so that it resolves from the CLI's bundle too (scripts/bundle.ts).
    const { expandIncludes } = await import('../config/include.js');
    const merged = await expandIncludes(main, (p) => readRegularFile(p, CONFIG_LIMIT_BYTES));
    const loaded = await checkDocument(merged.source, path, merged.place, readEnvFile, environment);
    if (merged.issues.length === 0) return loaded;
    const issues = [...merged.issues, ...(loaded.ok ? [] : loaded.issues)];
    return { ok: false, issues: sortIssues(path, issues) };
  }
  const source = { document, order: serviceOrder(main.doc) };
  return checkDocument(source, path, placeIn(main), readEnvFile, environment);
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
