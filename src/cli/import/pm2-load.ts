// Reads a PM2 ecosystem file into plain data. A JavaScript file is a program: it is run by a
// separate Node process with a time limit, never evaluated in the CLI, and hands back its export
// as JSON on fd 3 (its own stdout is ignored, so a console.log in it cannot corrupt the result).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { ImportError } from './model.js';

/** How long an ecosystem.config.js may take to evaluate, in ms. */
export const EVAL_TIMEOUT_MS = 10_000;

// Run by `node --input-type=module -e`: imports the file (CommonJS or ESM) and writes
// {ok, value} or {ok: false, error} as JSON on fd 3.
const EVALUATOR = `
import { writeSync } from 'node:fs';
let out;
try {
  const m = await import(process.argv[1]);
  out = { ok: true, value: m.default ?? m };
} catch (e) {
  out = { ok: false, name: e?.name ?? 'Error', message: String(e?.message ?? e), stack: String(e?.stack ?? '') };
}
writeSync(3, JSON.stringify(out));
`;

type Evaluated =
  { ok: true; value: unknown } | { ok: false; name: string; message: string; stack: string };

// The line of `file` a stack names: `/path/file.js:12` or `file:///path/file.js:12:5`.
function lineIn(stack: string, file: string): number | undefined {
  for (const name of [pathToFileURL(file).href, file]) {
    const at = stack.indexOf(`${name}:`);
    if (at >= 0) return Number(/^\d+/.exec(stack.slice(at + name.length + 1))?.[0]) || undefined;
  }
  return undefined;
}

/** Runs the JS config `file` (absolute) in a child Node process. @throws ImportError */
async function evaluate(file: string): Promise<unknown> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', EVALUATOR, pathToFileURL(file).href],
    {
      cwd: dirname(file),
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdio[3]?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, EVAL_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearTimeout(timer));
  if (timedOut)
    throw new ImportError(
      `${file}: evaluating it did not end within ${EVAL_TIMEOUT_MS / 1000}s (does it start a server or wait on input?)`,
    );
  const text = Buffer.concat(chunks).toString();
  if (text === '')
    throw new ImportError(
      `${file}: node exited with code ${code} while evaluating it: ${stderr.trim()}`,
    );
  const result = JSON.parse(text) as Evaluated;
  if (result.ok) return result.value;
  const line = lineIn(result.stack, file);
  const where = line === undefined ? file : `${file}:${line}`;
  throw new ImportError(
    `${where}: ${result.name}: ${result.message} (while node evaluated the file)`,
  );
}

/** Parses JSON or YAML text; a syntax error names the file, line and column. @throws ImportError */
export function parseYamlOrJson(text: string, file: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error' });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line, col } = lines.linePos(error.pos[0]);
    throw new ImportError(`${file}:${line}:${col}: ${error.message}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ImportError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Reads an ecosystem file (`.js`, `.cjs`, `.mjs`, `.json`, `.yaml`, `.yml`; absolute path).
 * @returns what it exports (or holds): usually `{apps: [...]}`
 * @throws ImportError for an unknown extension, a syntax error (file and line), a throw while
 *   evaluating, or an evaluation longer than {@link EVAL_TIMEOUT_MS}
 */
export async function loadEcosystem(file: string): Promise<unknown> {
  const ext = extname(file);
  if (['.js', '.cjs', '.mjs'].includes(ext)) return evaluate(file);
  if (['.json', '.yaml', '.yml'].includes(ext))
    return parseYamlOrJson(readFileSync(file, 'utf8'), file);
  throw new ImportError(
    `${file}: a PM2 ecosystem file ends in .js, .cjs, .mjs, .json, .yaml or .yml (got "${ext}")`,
  );
}
