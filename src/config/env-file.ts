// dotenv files: `KEY=value` lines for a service's `env_file`.

/** A malformed line of an env file. */
export interface EnvFileError {
  /** 1-based line number in the env file. */
  line: number;
  message: string;
}

/** The result of {@link parseEnvFile}: the variables, or every malformed line. */
export type EnvFileResult =
  { ok: true; env: Record<string, string> } | { ok: false; errors: EnvFileError[] };

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/;
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
};

type ValueResult = { ok: true; value: string } | { ok: false; message: string };

/** Text after a closing quote may only be blank or a `#` comment. */
function checkRest(rest: string, value: string): ValueResult {
  return /^\s*(?:#.*)?$/.test(rest)
    ? { ok: true, value }
    : {
        ok: false,
        message: `unexpected text after the closing quote: ${JSON.stringify(rest.trim())}`,
      };
}

function parseDoubleQuoted(text: string): ValueResult {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i] ?? '';
    if (char === '"') return checkRest(text.slice(i + 1), value);
    if (char === '\\' && i + 1 < text.length) {
      const next = text[++i] ?? '';
      value += ESCAPES[next] ?? `\\${next}`;
    } else {
      value += char;
    }
  }
  return { ok: false, message: 'unterminated double quote' };
}

function parseValue(raw: string): ValueResult {
  const text = raw.trimStart();
  if (text.startsWith('"')) return parseDoubleQuoted(text);
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    if (end === -1) return { ok: false, message: 'unterminated single quote' };
    return checkRest(text.slice(end + 1), text.slice(1, end));
  }
  // An unquoted value ends at a `#` that follows whitespace (`PORT=3000 # web`), as in sh.
  return { ok: true, value: raw.replace(/\s+#.*$/, '').trim() };
}

/**
 * Parses a dotenv file: `KEY=value` or `export KEY=value` per line; blank lines and lines
 * starting with `#` are skipped; values may be 'single-quoted' (literal) or "double-quoted"
 * (with `\n`, `\r`, `\t`, `\"` and `\\` escapes); an unquoted value is trimmed and ends at
 * ` #`. No variable expansion and no multi-line values. A later key overrides an earlier one.
 * @returns the variables in file order, or every malformed line; never throws.
 */
export function parseEnvFile(text: string): EnvFileResult {
  const env = new Map<string, string>();
  const errors: EnvFileError[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (/^\s*(?:#.*)?$/.test(content)) return;
    const match = LINE.exec(content);
    if (match === null) {
      errors.push({ line, message: 'expected KEY=value (KEY: letters, digits and "_")' });
      return;
    }
    const [, key = '', raw = ''] = match;
    const value = parseValue(raw);
    if (value.ok) env.set(key, value.value);
    else errors.push({ line, message: `${key}: ${value.message}` });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, env: Object.fromEntries(env) };
}
