// Reads supervisord's INI files with the `ini` package, following `[include] files = ...` (globs
// relative to the including file), and keeps the line of every section and key for messages.
// Before `ini` decodes a file, each line is checked (a line that is neither a section, a
// `key = value` nor a continuation is an error with its line), continuation lines are joined as
// Python's ConfigParser does, dots in section names are escaped (ini would nest them), and `;` or
// `#` not preceded by a space is escaped (supervisord starts inline comments only after one).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { decode } from 'ini';
import picomatch from 'picomatch';
import { ImportError } from './model.js';

/** One section of a supervisord config. */
export interface IniSection {
  /** `program:web`, `group:app`, `supervisord`... */
  name: string;
  values: Record<string, string>;
  file: string;
  /** 1-based line of the `[section]` header. */
  line: number;
  /** The line of each key. */
  keyLines: Record<string, number>;
}

const MAX_INCLUDE_DEPTH = 10;

interface Prepared {
  text: string;
  sections: { name: string; line: number; keyLines: Record<string, number> }[];
}

// A value without its inline comment (from a `;` or `#` after a space, as supervisord reads it),
// with the `;` and `#` left in it escaped so that ini keeps them.
function escapeValue(value: string): string {
  return value.replace(/(^|\s+)[;#].*$/, '').replace(/([;#])/g, '\\$1');
}

// Checks and rewrites one file's text for `ini` (see the comment at the top).
function prepare(text: string, file: string): Prepared {
  const out: string[] = [];
  const sections: Prepared['sections'] = [];
  let inKey = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*([;#].*)?$/.test(raw)) return;
    const section = /^\[([^\]]+)\]\s*([;#].*)?$/.exec(raw);
    if (/^\s/.test(raw) && inKey) {
      out[out.length - 1] += ` ${escapeValue(raw.trim())}`;
      return;
    }
    if (section !== null) {
      const name = (section[1] ?? '').trim();
      sections.push({ name, line, keyLines: {} });
      out.push(`[${name.replaceAll('.', '\\.')}]`);
      inKey = false;
      return;
    }
    const key = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/.exec(raw);
    const current = sections.at(-1);
    if (key === null || current === undefined) {
      const why = current === undefined ? 'a key before any [section]' : 'expected "key = value"';
      throw new ImportError(`${file}:${line}: ${why}, got ${JSON.stringify(raw.trim())}`);
    }
    const name = (key[1] ?? '').trim().toLowerCase();
    current.keyLines[name] = line;
    out.push(`${name}=${escapeValue(key[2] ?? '')}`);
    inKey = true;
  });
  return { text: out.join('\n'), sections };
}

// The files an `[include] files = a.conf conf.d/*.conf` names, in sorted order per pattern.
function includedFiles(patterns: string, dir: string): string[] {
  return patterns
    .split(/\s+/)
    .filter((p) => p !== '')
    .flatMap((pattern) => {
      const full = resolve(dir, pattern);
      if (!picomatch.scan(full).isGlob) return [full];
      const parent = dirname(full);
      const matches = picomatch(basename(full));
      let names: string[];
      try {
        names = readdirSync(parent);
      } catch {
        return [];
      }
      return names
        .filter((n) => matches(n))
        .sort()
        .map((n) => resolve(parent, n));
    });
}

/**
 * Reads the supervisord config at `file` (absolute) and every file its `[include]` names.
 * @returns the sections in reading order (a later section of the same name replaces the earlier)
 * @throws ImportError naming the file and line of a malformed line, or an unreadable include
 */
export function readSupervisordConfig(
  file: string,
  depth = 0,
  seen = new Set<string>(),
): IniSection[] {
  if (depth > MAX_INCLUDE_DEPTH || seen.has(file))
    throw new ImportError(`${file}: included again (an include loop?)`);
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ImportError(
      `${code}: cannot read ${file}${depth > 0 ? ' (named by an [include])' : ''}`,
    );
  }
  const prepared = prepare(text, file);
  const decoded = decode(prepared.text) as Record<string, Record<string, unknown>>;
  const result: IniSection[] = [];
  for (const s of prepared.sections) {
    const values = Object.fromEntries(
      Object.entries(decoded[s.name] ?? {}).map(([k, v]) => [k, String(v)]),
    );
    if (s.name === 'include') {
      const files = values.files ?? '';
      for (const included of includedFiles(files, dirname(file)))
        result.push(...readSupervisordConfig(included, depth + 1, seen));
      continue;
    }
    result.push({ name: s.name, values, file, line: s.line, keyLines: s.keyLines });
  }
  return result;
}
