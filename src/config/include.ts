// A top-level `include: [projects/*/warden.yaml]` (docs/config/include.md): the services of
// other files merged into this config, each keeping the directory of its file for its relative
// paths, and every issue placed in the file it is in. Loaded only for a config with `include`.
import { dirname, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { describeUnfit, UnfitFileError } from '../effects/files/regular-file.js';
import { errnoOf } from '../effects/ffi/errno.js';
import type { ConfigSource } from './document.js';
import { describeValue } from './issue-messages.js';
import type { ConfigIssue } from './types.js';
import { parseYamlFile, placeIn, serviceOrder, type YamlFile } from './yaml-file.js';
import { locate } from './yaml-position.js';
import type { PathIssue } from './zod-issues.js';

/** Reads a config file's text; rejects with a Node fs error or an UnfitFileError. */
export type ReadConfigFile = (path: string) => Promise<string>;

/** The merged config: one document, where each issue goes, and what is wrong with the files. */
export interface Included {
  source: ConfigSource;
  place: (issue: PathIssue) => ConfigIssue;
  /** Issues of the files themselves: unreadable, not YAML, keys they may not hold, names twice. */
  issues: ConfigIssue[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readMessage(error: unknown, path: string): string {
  if (error instanceof UnfitFileError) return `${path} ${describeUnfit(error.reason)}`;
  const code = errnoOf(error) ?? 'error';
  if (code === 'ENOENT')
    return `ENOENT: ${path} does not exist (a glob that matches nothing is no error, a file named alone is)`;
  return `${code}: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`;
}

// The files `include` names, in its order (each glob's matches sorted), each once, the config
// itself left out; issues placed at the entry that failed.
async function includedPaths(
  main: YamlFile,
  read: ReadConfigFile,
): Promise<{ files: { path: string; text: string }[]; issues: PathIssue[] }> {
  const list = (main.value as Record<string, unknown>).include;
  if (!Array.isArray(list)) {
    const message = `expected a list of files or globs, e.g. [projects/*/warden.yaml], got ${describeValue(list)}`;
    return { files: [], issues: [{ path: ['include'], target: 'value', message }] };
  }
  const base = dirname(main.path);
  const seen = new Set([main.path]);
  const files: { path: string; text: string }[] = [];
  const issues: PathIssue[] = [];
  for (const [i, pattern] of list.entries()) {
    const at = ['include', i];
    if (typeof pattern !== 'string' || pattern === '') {
      const message = `expected a file or a glob such as projects/*/warden.yaml, got ${describeValue(pattern)}`;
      issues.push({ path: at, target: 'value', message });
      continue;
    }
    const paths = isDynamicPattern(pattern)
      ? (await glob(pattern, { cwd: base, absolute: true, onlyFiles: true })).sort()
      : [resolve(base, pattern)];
    for (const path of paths.filter((p) => !seen.has(p))) {
      seen.add(path);
      try {
        files.push({ path, text: await read(path) });
      } catch (error) {
        issues.push({ path: at, target: 'value', message: readMessage(error, path) });
      }
    }
  }
  return { files, issues };
}

// The keys an included file may not hold, as issues placed in it.
function keyIssues(file: YamlFile, mainPath: string): PathIssue[] {
  if (file.value === null || file.value === undefined) return [];
  if (!isRecord(file.value)) {
    const message = `expected a map with a "services" key, got ${describeValue(file.value)}`;
    return [{ path: [], target: 'value', message }];
  }
  return Object.keys(file.value).flatMap((key): PathIssue[] => {
    if (key === 'services') return [];
    const message =
      key === 'include'
        ? `an included file cannot include others; list every file in the include of ${mainPath}`
        : `an included file holds only services; set "${key}" in ${mainPath}, which includes this file`;
    return [{ path: [key], target: 'key', message }];
  });
}

/**
 * Reads the files the `include` of `main` names (globs relative to its directory, with
 * tinyglobby) and merges their `services` after its own. A name defined twice is an issue at
 * the second definition naming the first (file:line:col), and the second is left out.
 * @param read reads a config file (a regular file of bounded size).
 * @returns the merged document, and the issues of the files; never throws for their content.
 */
export async function expandIncludes(main: YamlFile, read: ReadConfigFile): Promise<Included> {
  const { files, issues: listIssues } = await includedPaths(main, read);
  const issues = listIssues.map(placeIn(main));
  const own = isRecord(main.value) && isRecord(main.value.services) ? main.value.services : {};
  const services: Record<string, unknown> = { ...own };
  const order = serviceOrder(main.doc).filter((name) => Object.hasOwn(own, name));
  const owner = new Map<string, YamlFile>(order.map((name) => [name, main]));
  const dirs: Record<string, string> = {};
  for (const { path, text } of files) {
    const parsed = parseYamlFile(text, path);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    const file = parsed.file;
    const place = placeIn(file);
    issues.push(...keyIssues(file, main.path).map(place));
    const theirs = isRecord(file.value) && isRecord(file.value.services) ? file.value.services : {};
    for (const name of serviceOrder(file.doc).filter((n) => Object.hasOwn(theirs, n))) {
      const first = owner.get(name);
      if (first !== undefined) {
        const at = locate(first.doc, first.lines, ['services', name], 'key');
        const where = `${first.path}${at === undefined ? '' : `:${at.line}:${at.column}`}`;
        const message = `"${name}" is defined twice: here and in ${where}; rename one of them`;
        issues.push(place({ path: ['services', name], target: 'key', message }));
        continue;
      }
      owner.set(name, file);
      order.push(name);
      services[name] = theirs[name];
      dirs[name] = dirname(path);
    }
  }
  const rest = isRecord(main.value) ? { ...main.value } : {};
  delete rest.include;
  const placeMain = placeIn(main);
  const place = (issue: PathIssue): ConfigIssue => {
    const file = issue.path[0] === 'services' ? owner.get(String(issue.path[1])) : undefined;
    return file === undefined ? placeMain(issue) : placeIn(file)(issue);
  };
  return { source: { document: { ...rest, services }, order, dirs }, place, issues };
}
