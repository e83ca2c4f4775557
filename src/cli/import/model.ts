// What an importer makes of a source config: warden services as plain data, and a note for
// every source key without an exact equivalent (what was done with it, and why).
import { relative, isAbsolute } from 'node:path';
import { SERVICE_NAME_PATTERN } from '../../config/schema.js';

/** One service of the output: its keys in the order they are written, and comments above it. */
export interface ImportedService {
  name: string;
  /** The warden keys (`command`, `cwd`, `env`, ...) as they go into warden.yaml. */
  fields: Record<string, unknown>;
  /** Comment lines written above the service (without `#`), e.g. a key that needs a newer warden. */
  comments: string[];
}

/** A source key with no exact warden equivalent. */
export interface ImportNote {
  /** Where it was: `FILE` or `FILE:LINE`. */
  where: string;
  /** The service it belongs to; absent for a top-level key. */
  service?: string;
  /** The source key, with its value when that helps (`exec_mode: cluster`). */
  key: string;
  /** What was done: `not translated`, `written as restart: on-failure`, ... */
  action: string;
  /** Why, and what the user may do. */
  why: string;
}

/** The result of an importer. */
export interface Imported {
  /** The format's name and the file (or command) read, for the header comment. */
  from: string;
  services: ImportedService[];
  notes: ImportNote[];
}

/** A source file that cannot be read as its format says: the message names the file and line. */
export class ImportError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ImportError';
  }
}

/** Collects notes of one source file; `note()` of a service tags it with the service's name. */
export class NoteBook {
  readonly notes: ImportNote[] = [];

  constructor(readonly file: string) {}

  /** Adds a note at `line` of the file (or the file as a whole). */
  add(note: Omit<ImportNote, 'where'> & { line?: number }): void {
    const { line, ...rest } = note;
    this.notes.push({ where: line === undefined ? this.file : `${this.file}:${line}`, ...rest });
  }
}

/** `key: value` for a note, with the value shown as JSON when it is not a plain word. */
export function keyValue(key: string, value: unknown): string {
  const text =
    typeof value === 'string' && /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  return `${key}: ${text}`;
}

/**
 * A valid warden service name for `name` (letters, digits, `_`, `.`, `-`): other characters
 * become `-`; `fallback` when nothing is left.
 */
export function serviceNameOf(name: string, fallback: string): string {
  if (SERVICE_NAME_PATTERN.test(name)) return name;
  const cleaned = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? fallback : cleaned;
}

/**
 * How warden.yaml at `outDir` names the directory `dir` (absolute): relative when inside
 * `outDir`, absolute otherwise; undefined when it is `outDir` itself (warden's default cwd).
 */
export function cwdFor(outDir: string, dir: string): string | undefined {
  const rel = relative(outDir, dir);
  if (rel === '') return undefined;
  return rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
}

/** A word quoted for /bin/sh when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A duration in ms as warden writes it: `1500ms`, `10s`, `5m`, `2h`. */
export function durationOf(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms)}ms`;
}
