// `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `$$` in a service's command, cwd, env
// values and env_file path (docs/config/variables.md), with Compose's meanings
// (https://docs.docker.com/reference/compose-file/interpolation/). A `$` before anything else
// (`$HOME`, `$1`) is left as written, for the shell of a string command to expand at run time.
import type { PathIssue } from './zod-issues.js';

/** The value of a variable, or undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** A string with its variables replaced, or why it cannot be. */
export type Interpolated = { ok: true; value: string } | { ok: false; message: string };

// NAME, then nothing, `:-default` (unset or empty) or `-default` (unset only).
const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^]*))?$/;

function unsetMessage(name: string): string {
  return `variable "${name}" is not set (neither in the environment nor in env_file); set it, give a default with \${${name}:-default}, or write $\${${name}} for a literal \${${name}} the shell expands`;
}

// The value of one `${...}` body, or why not.
function expand(body: string, lookup: Lookup): Interpolated {
  const m = EXPRESSION.exec(body);
  if (m === null)
    return {
      ok: false,
      message: `"\${${body}}" is not \${NAME}, \${NAME:-default} or \${NAME-default}; write $\${ for a literal \${ the shell expands`,
    };
  const [, name = '', operator, fallback = ''] = m;
  const value = lookup(name);
  if (operator === ':-')
    return { ok: true, value: value === undefined || value === '' ? fallback : value };
  if (operator === '-') return { ok: true, value: value ?? fallback };
  return value === undefined ? { ok: false, message: unsetMessage(name) } : { ok: true, value };
}

/**
 * Replaces the variables of `text`: `${NAME}` (an error when unset), `${NAME:-default}` (the
 * default when unset or empty), `${NAME-default}` (when unset), `$$` (a literal `$`). The default
 * is taken as written. Any other `$` stays.
 */
export function interpolate(text: string, lookup: Lookup): Interpolated {
  if (!text.includes('$')) return { ok: true, value: text };
  let out = '';
  for (let i = 0; i < text.length;) {
    const at = text.indexOf('$', i);
    if (at === -1 || at === text.length - 1) return { ok: true, value: out + text.slice(i) };
    out += text.slice(i, at);
    const next = text[at + 1];
    if (next === '$') {
      out += '$';
      i = at + 2;
    } else if (next === '{') {
      const end = text.indexOf('}', at + 2);
      if (end === -1)
        return {
          ok: false,
          message: `"${text.slice(at)}" has no closing "}"; write $$ for a literal $`,
        };
      const r = expand(text.slice(at + 2, end), lookup);
      if (!r.ok) return r;
      out += r.value;
      i = end + 1;
    } else {
      out += '$';
      i = at + 1;
    }
  }
  return { ok: true, value: out };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The keys of a service that take variables: `env_file` first (its file gives variables too). */
export type InterpolatedKey = 'env_file' | 'command' | 'cwd' | 'env';

// The key's value with its strings interpolated; issues pushed with their key paths.
function interpolateValue(
  value: unknown,
  path: PropertyKey[],
  lookup: Lookup,
  issues: PathIssue[],
): unknown {
  if (typeof value === 'string') {
    const r = interpolate(value, lookup);
    if (r.ok) return r.value;
    issues.push({ path, target: 'value', message: r.message });
    return value;
  }
  if (Array.isArray(value))
    return value.map((v, i) => interpolateValue(v, [...path, i], lookup, issues));
  if (isRecord(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateValue(v, [...path, k], lookup, issues)]),
    );
  return value;
}

/**
 * A copy of a config document with the variables of `keys` in each service replaced (see
 * {@link interpolate}); `command` as a string or a list, `env` values (not names). Shapes the
 * schema refuses are left for it to name. Never throws.
 * @param lookupFor the variables a service sees, by service name.
 */
export function interpolateServices(
  document: unknown,
  keys: readonly InterpolatedKey[],
  lookupFor: (service: string) => Lookup,
): { document: unknown; issues: PathIssue[] } {
  if (!isRecord(document) || !isRecord(document.services)) return { document, issues: [] };
  const issues: PathIssue[] = [];
  const services = Object.fromEntries(
    Object.entries(document.services).map(([name, service]) => {
      if (!isRecord(service)) return [name, service];
      const lookup = lookupFor(name);
      const copy = { ...service };
      for (const key of keys) {
        if (!Object.hasOwn(service, key)) continue;
        const value = service[key];
        const path = ['services', name, key];
        copy[key] =
          key === 'env' && !isRecord(value) ? value : interpolateValue(value, path, lookup, issues);
      }
      return [name, copy];
    }),
  );
  return { document: { ...document, services }, issues };
}

/**
 * `text` written so that {@link interpolate} gives it back as it is: `${` and `$$` with their
 * `$` doubled (a `$` before anything else needs nothing). For commands from formats that do
 * not interpolate (a Procfile, PM2), whose `${PORT}` is the shell's to expand at run time.
 */
export function escapeVariables(text: string): string {
  // Left to right, so that `$$` reads `$$$$` (not `$$$`, which gives `$$` back too).
  return text.replace(/\$\$|\$\{/g, (m) => (m === '$$' ? '$$$$' : '$${'));
}

// `$$` first, so that the `${` of `$${X}` is not taken for a variable.
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)/g;

function collectNames(value: unknown, names: Set<string>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(REFERENCE)) if (m[1] !== undefined) names.add(m[1]);
  } else if (Array.isArray(value)) for (const v of value) collectNames(v, names);
  else if (isRecord(value)) for (const v of Object.values(value)) collectNames(v, names);
}

/** The names of the variables the services of a config document refer to, sorted. */
export function variableNames(document: unknown): string[] {
  if (!isRecord(document) || !isRecord(document.services)) return [];
  const names = new Set<string>();
  for (const service of Object.values(document.services)) {
    if (!isRecord(service)) continue;
    for (const key of ['command', 'cwd', 'env', 'env_file'] as const) {
      const value = service[key];
      collectNames(key === 'env' && isRecord(value) ? Object.values(value) : value, names);
    }
  }
  return [...names].sort();
}

/**
 * A warning for each variable whose value in `sent` (the CLI's environment, null: unset)
 * differs from `own` (the daemon's, which `${VAR}` takes). Values are never shown: they may be
 * secrets.
 */
export function environmentWarnings(
  sent: Readonly<Record<string, string | null>>,
  own: Readonly<Record<string, string | undefined>>,
): string[] {
  return Object.entries(sent).flatMap(([name, value]) => {
    const theirs = own[name] ?? null;
    if (theirs === value) return [];
    const what =
      value === null
        ? "is not set in this shell but is in the daemon's environment"
        : theirs === null
          ? "is set in this shell but not in the daemon's environment"
          : "differs between this shell and the daemon's environment";
    return [
      `\${${name}} ${what}, whose value the config takes (docs/config/variables.md); "warden down" then "warden up" starts a daemon with this shell's`,
    ];
  });
}
