// One YAML (or JSON) config file parsed with the position of every node: the config file and
// each file it includes.
import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { formatPath } from './format.js';
import type { ConfigIssue } from './types.js';
import { locate } from './yaml-position.js';
import type { PathIssue } from './zod-issues.js';

/** Most aliases one document may expand, against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

/** A parsed file: its absolute path, its YAML nodes with their lines, and its plain data. */
export interface YamlFile {
  path: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
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

/**
 * Parses `text`, the content of the file at the absolute `path`.
 * @returns the file, or its syntax issues (never throws for problems in the text).
 */
export function parseYamlFile(
  text: string,
  path: string,
): { ok: true; file: YamlFile } | { ok: false; issues: ConfigIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error' });
  const syntaxIssues = doc.errors.map((error): ConfigIssue => {
    const { line, col } = lines.linePos(error.pos[0]);
    return { file: path, line, column: col, path: '', message: `YAML: ${error.message}` };
  });
  if (syntaxIssues.length > 0) return { ok: false, issues: syntaxIssues };
  const protoIssues = protoKeyIssues(doc, lines, path);
  if (protoIssues.length > 0) return { ok: false, issues: protoIssues };
  try {
    return {
      ok: true,
      file: { path, doc, lines, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) },
    };
  } catch (error) {
    const message = `YAML: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, issues: [{ file: path, line: 1, column: 1, path: '', message }] };
  }
}

/** Service names in the order the file lists them (JS objects put integer-like keys first). */
export function serviceOrder(doc: Document): string[] {
  const services = doc.get('services');
  if (!isMap(services)) return [];
  return services.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
}

/** Gives an issue its place in `file`: line and column of the node its key path names. */
export function placeIn(file: YamlFile): (issue: PathIssue) => ConfigIssue {
  return (issue) => ({
    file: file.path,
    ...locate(file.doc, file.lines, issue.path, issue.target),
    path: formatPath(issue.path),
    message: issue.message,
  });
}
