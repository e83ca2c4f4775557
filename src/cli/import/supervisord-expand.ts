// supervisord's `%(name)s` expansions (Python %-formatting over a dict of names), and its
// `environment=KEY="value",KEY2=value2` syntax.
import { hostname } from 'node:os';
import { escapeVariables } from '../../config/variables.js';
import { ImportError } from './model.js';

/** The names a program's values may expand; `process_num` is per instance (see below). */
export interface ExpansionNames {
  program_name: string;
  group_name: string;
  numprocs: number;
  /** The directory of the config file. */
  here: string;
}

/**
 * `${NAME}`: `%(ENV_NAME)s` in a command, which warden interpolates from the daemon's environment
 * when it reads the config, as supervisord expands it at load (docs/config/variables.md).
 */
export const shellVariable = (name: string): string => `\${${name}}`;

// `%(ENV_NAME)s` outside a command: the value here and now, as supervisord reads it at load.
function variableHere(name: string, where: string): string {
  const value = process.env[name];
  if (value === undefined)
    throw new ImportError(
      `${where}: %(ENV_${name})s: ${name} is not set in this environment (supervisord would refuse it too); set it and import again`,
    );
  return escapeVariables(value);
}

/**
 * Expands `%(name)s`, `%(name)d`, `%(name)02d` and `%%` in `value`. `%(process_num)...` becomes
 * the shell arithmetic on WARDEN_INSTANCE that gives the same number (`start` + instance), which
 * only a shell command can use: `processNum` says what to put there. `%(ENV_X)s` is `variable(X)`,
 * by default the value in this environment.
 * @throws ImportError for an unknown name or an unset variable, with `where` (FILE:LINE)
 */
export function expand(
  value: string,
  names: ExpansionNames,
  where: string,
  processNum: (format: string) => string,
  variable: (name: string) => string = (name) => variableHere(name, where),
): string {
  // The text around the expansions is taken as it is: its `${` and `$$` are escaped.
  return escapeVariables(value).replace(
    /%%|%\(([^)]+)\)(-?0?\d*[sd])/g,
    (whole, name: string | undefined, format: string) => {
      if (whole === '%%') return '%';
      if (name === 'process_num') return processNum(format);
      if (name === 'host_node_name') return hostname();
      if (name !== undefined && name.startsWith('ENV_')) return variable(name.slice(4));
      const known: Record<string, string | number> = { ...names };
      const found = name === undefined ? undefined : known[name];
      if (found === undefined)
        throw new ImportError(
          `${where}: %(${name})${format} names nothing supervisord knows (program_name, process_num, group_name, numprocs, here, host_node_name, ENV_X)`,
        );
      const width = /^(-?)(0?)(\d*)/.exec(format);
      const text = String(found);
      const pad = Number(width?.[3] ?? 0);
      return width?.[1] === '-'
        ? text.padEnd(pad)
        : text.padStart(pad, width?.[2] === '0' ? '0' : ' ');
    },
  );
}

/** `%(process_num)02d` as /bin/sh computes it for instance WARDEN_INSTANCE from `start`. */
export function processNumShell(format: string, start: number): string {
  const sum = start === 0 ? '$WARDEN_INSTANCE' : `$((WARDEN_INSTANCE + ${start}))`;
  const printf = format.replace(/s$/, 'd');
  return printf === 'd' ? (start === 0 ? '$WARDEN_INSTANCE' : sum) : `$(printf %${printf} ${sum})`;
}

/**
 * Parses `KEY="value",KEY2=value2` (values quoted with " or ', or bare up to the next comma).
 * @throws ImportError naming `where` for text that is not such a list
 */
export function parseEnvironment(text: string, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  const item = /\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^,]*?)\s*(?:,|$)/y;
  let at = 0;
  while (at < text.length) {
    item.lastIndex = at;
    const m = item.exec(text);
    if (m === null || m[0] === '')
      throw new ImportError(
        `${where}: environment: expected KEY="value",KEY2="value2" at ${JSON.stringify(text.slice(at))}`,
      );
    const raw = m[2] ?? '';
    env[m[1] ?? ''] = /^["']/.test(raw) ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    at = item.lastIndex;
  }
  return env;
}
