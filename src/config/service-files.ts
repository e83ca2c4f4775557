// The checks of a config that touch the file system: each service's `cwd` and `env_file`.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MIB, readRegularFile } from '../effects/files/regular-file.js';
import { parseEnvFile } from './env-file.js';
import { formatPath } from './format.js';
import { cwdMessage, envFileReadMessage } from './read-errors.js';
import type { ConfigIssue } from './types.js';
import type { PathIssue } from './zod-issues.js';

/**
 * Reads an env file as UTF-8; rejects with a Node fs error (with `code`) when it cannot, or an
 * UnfitFileError when it is not a regular file or is too large.
 */
export type ReadEnvFile = (path: string) => Promise<string>;

/** The largest env file read, in bytes. */
export const ENV_FILE_LIMIT_BYTES = MIB;

/** The default {@link ReadEnvFile}: a regular file of at most {@link ENV_FILE_LIMIT_BYTES}. */
export const readEnvFileFromDisk: ReadEnvFile = (path) =>
  readRegularFile(path, ENV_FILE_LIMIT_BYTES);

/** What the file checks found: issues, and the variables of each service's env file. */
export interface ServiceFiles {
  /** Issues placed by key path (cwd, env_file unreadable). */
  pathIssues: PathIssue[];
  /** Issues already placed in an env file (malformed lines). */
  envFileIssues: ConfigIssue[];
  /** Variables read from `env_file`, by service name. */
  envByService: Map<string, Record<string, string>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function checkCwd(path: string): Promise<string | undefined> {
  try {
    const stats = await stat(path);
    return stats.isDirectory() ? undefined : `ENOTDIR: ${path} is not a directory`;
  } catch (error) {
    return cwdMessage(error, path);
  }
}

/** The directory a service's relative paths resolve against, by service name. */
export type DirOf = (service: string) => string;

/**
 * Checks that every `cwd` given is a directory, resolved against its service's directory.
 * Works on the raw document, so that these issues are reported even when other keys are
 * invalid; values that are not non-empty strings are left to the schema. Never throws.
 */
export async function checkCwds(document: unknown, dirOf: DirOf): Promise<PathIssue[]> {
  const services = isRecord(document) ? document.services : undefined;
  if (!isRecord(services)) return [];
  const checks = Object.entries(services).map(async ([name, service]): Promise<PathIssue[]> => {
    if (!isRecord(service) || typeof service.cwd !== 'string' || service.cwd === '') return [];
    const message = await checkCwd(resolve(dirOf(name), service.cwd));
    return message === undefined
      ? []
      : [{ path: ['services', name, 'cwd'], target: 'value', message }];
  });
  return (await Promise.all(checks)).flat();
}

/**
 * Reads and parses every `env_file`, resolved against its service's directory, as
 * {@link checkCwds} does. Each env file is read once, however many services name it. Never throws.
 */
export async function readServiceEnvFiles(
  document: unknown,
  dirOf: DirOf,
  readEnvFile: ReadEnvFile,
): Promise<ServiceFiles> {
  const result: ServiceFiles = { pathIssues: [], envFileIssues: [], envByService: new Map() };
  const services = isRecord(document) ? document.services : undefined;
  if (!isRecord(services)) return result;
  const reads = new Map<string, Promise<string>>();
  const checks = Object.entries(services).map(async ([name, service]) => {
    if (!isRecord(service)) return;
    if (typeof service.env_file !== 'string' || service.env_file === '') return;
    const envPath = resolve(dirOf(name), service.env_file);
    const keyPath = ['services', name, 'env_file'];
    if (!reads.has(envPath)) reads.set(envPath, readEnvFile(envPath));
    let text: string;
    try {
      text = await (reads.get(envPath) ?? readEnvFile(envPath));
    } catch (error) {
      result.pathIssues.push({
        path: keyPath,
        target: 'value',
        message: envFileReadMessage(error, envPath),
      });
      return;
    }
    const parsed = parseEnvFile(text);
    if (parsed.ok) {
      result.envByService.set(name, parsed.env);
      return;
    }
    for (const { line, message } of parsed.errors) {
      result.envFileIssues.push({
        file: envPath,
        line,
        column: 1,
        path: formatPath(keyPath),
        message,
      });
    }
  });
  await Promise.all(checks);
  return result;
}
