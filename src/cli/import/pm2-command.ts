// The command line PM2 runs for an app: its interpreter (chosen by the script's extension when
// not given), the interpreter's arguments, the script, then `args`.
import { extname } from 'node:path';
import { escapeVariables } from '../../config/variables.js';
import { shellQuote } from './model.js';

// PM2's interpreters by extension; other scripts are run as they are.
const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
  '.ts': 'ts-node',
  '.py': 'python',
  '.sh': 'bash',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
  '.coffee': 'coffee',
};

// A string is passed as it is (PM2 splits it as a shell would); a list is quoted word by word.
function words(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => shellQuote(String(v)));
  if (typeof value === 'string' && value.trim() !== '') return [value.trim()];
  return [];
}

/** The shell command line of an app: `node --max-old-space-size=512 server.js --port 3000`. */
export function pm2Command(app: Record<string, unknown>): string {
  const script = String(app.script);
  const given = app.interpreter ?? app.exec_interpreter;
  const interpreter =
    typeof given === 'string' && given !== '' ? given : (BY_EXTENSION[extname(script)] ?? 'none');
  // A script with spaces ("npm run start") is already a command line.
  const program = / /.test(script) ? script : shellQuote(script);
  const head =
    interpreter === 'none'
      ? [program]
      : [shellQuote(interpreter), ...words(app.interpreter_args ?? app.node_args), program];
  // PM2 interpolates nothing: a `${X}` in it is the shell's (docs/config/variables.md).
  return escapeVariables([...head, ...words(app.args)].join(' '));
}
