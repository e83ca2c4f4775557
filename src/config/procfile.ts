// A Procfile (foreman's, Heroku's) as a config document: one `NAME: command` line per process
// type, run by /bin/sh -c, with the `.env` beside it and, when asked, foreman's PORT convention.
// `warden up -f Procfile` reads it through load.ts; `warden import procfile` prints the same
// document as YAML.
import { basename } from 'node:path';
import type { ConfigSource } from './document.js';
import type { ConfigIssue } from './types.js';
import { escapeVariables } from './variables.js';

/** One process type of a Procfile. */
export interface ProcfileEntry {
  /** The process type (`web`), used as the service name. */
  name: string;
  /** The command, run by /bin/sh -c. */
  command: string;
  /** 1-based line in the Procfile. */
  line: number;
}

/** The process types of a Procfile, or every malformed line. */
export type ProcfileResult =
  { ok: true; entries: ProcfileEntry[] } | { ok: false; issues: ConfigIssue[] };

/** Options of {@link procfileDocument}. */
export interface ProcfileOptions {
  /** foreman's `--port`: PORT is base + 100 x the type's position (web 5000, worker 5100...). */
  portBase?: number;
  /** The env file to name (relative to the Procfile's directory), when there is one. */
  envFile?: string;
}

// foreman's own pattern for a line (names are letters, digits, `_` and `-`).
const LINE = /^([A-Za-z0-9_-]+):\s*(.*)$/;

/** Whether `path` names a Procfile: `Procfile`, or `Procfile.SOMETHING` (Procfile.dev). */
export function isProcfileName(path: string): boolean {
  return /^Procfile(\..+)?$/.test(basename(path));
}

/**
 * Parses the text of a Procfile. Blank lines and `#` comments are skipped; any other line must
 * be `NAME: command` with a non-empty command, and each name must appear once.
 * @param file the absolute path, for issues.
 */
export function parseProcfile(text: string, file: string): ProcfileResult {
  const entries: ProcfileEntry[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*(#.*)?$/.test(raw)) return;
    const issue = (message: string): void => {
      issues.push({ file, line, column: 1, path: '', message });
    };
    const match = LINE.exec(raw);
    const [, name = '', command = ''] = match ?? [];
    if (match === null) {
      issue(
        `expected "NAME: command" (NAME of letters, digits, "_" or "-"), got ${JSON.stringify(raw.trim())}`,
      );
    } else if (command.trim() === '') {
      issue(`"${name}" has no command; write "${name}: the command to run"`);
    } else if (seen.has(name)) {
      issue(`"${name}" is already defined on line ${seen.get(name)}; name each process once`);
    } else {
      seen.set(name, line);
      entries.push({ name, command: command.trim(), line });
    }
  });
  if (issues.length > 0) return { ok: false, issues };
  if (entries.length === 0)
    return {
      ok: false,
      issues: [{ file, line: 1, column: 1, path: '', message: 'has no "NAME: command" line' }],
    };
  return { ok: true, entries };
}

/** The PORT of the process type at `index` (0-based), as foreman numbers them. */
export function procfilePort(portBase: number, index: number): number {
  return portBase + 100 * index;
}

/**
 * The config document of a Procfile's entries: one service per process type, restarted always,
 * in the Procfile's order.
 */
export function procfileDocument(
  entries: readonly ProcfileEntry[],
  options: ProcfileOptions = {},
): ConfigSource {
  const services: Record<string, Record<string, unknown>> = {};
  entries.forEach((entry, index) => {
    // foreman runs the line through the shell as it is: its `${PORT}` is the shell's to expand.
    const service: Record<string, unknown> = { command: escapeVariables(entry.command) };
    if (options.envFile !== undefined) service.env_file = options.envFile;
    if (options.portBase !== undefined)
      service.env = { PORT: String(procfilePort(options.portBase, index)) };
    services[entry.name] = service;
  });
  return { document: { services }, order: entries.map((e) => e.name) };
}
