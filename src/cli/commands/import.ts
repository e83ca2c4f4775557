// `warden import FORMAT FILE [-o FILE]`: a warden.yaml from a PM2, Procfile, supervisord or
// process-compose config. Loaded only for this verb (a module of its own outside the main
// bundle): nothing of it is read by `warden status`, `up` or the daemon.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatIssue } from '../../config/format.js';
import { parseConfig } from '../../config/load.js';
import { CliError } from '../context.js';
import { EXIT, printError, write } from '../output.js';
import { emitYaml, formatNote } from '../import/emit-yaml.js';
import { ImportError, type Imported } from '../import/model.js';

/** The formats `warden import` reads. */
export const IMPORT_FORMATS = ['pm2', 'procfile', 'supervisord', 'process-compose'] as const;

/** Options of `warden import`. */
export interface ImportOptions {
  /** Where to write warden.yaml; stdout without it. */
  output?: string;
  /** Replace an existing output file. */
  force?: boolean;
  /** pm2: the `env_NAME` block to apply over `env`. */
  env?: string;
  /** pm2: read the running PM2's process list (`pm2 jlist`) instead of a file. */
  running?: boolean;
  /** procfile: foreman's PORT convention from this base. */
  portBase?: string;
}

type Format = (typeof IMPORT_FORMATS)[number];

function isFormat(name: string): name is Format {
  return (IMPORT_FORMATS as readonly string[]).includes(name);
}

async function read(
  format: Format,
  file: string | undefined,
  options: ImportOptions,
  outDir: string,
): Promise<Imported> {
  if (format === 'pm2' && options.running === true) {
    if (file !== undefined)
      throw new CliError('pm2 --running reads no FILE; give one or the other', EXIT.usage);
    return (await import('../import/pm2-running.js')).importPm2Running({ outDir });
  }
  if (file === undefined)
    throw new CliError(`warden import ${format} needs the FILE to read`, EXIT.usage);
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`ENOENT: ${path} does not exist`, EXIT.usage);
  switch (format) {
    case 'procfile': {
      const portBase = options.portBase === undefined ? undefined : Number(options.portBase);
      if (
        portBase !== undefined &&
        !(Number.isInteger(portBase) && portBase >= 1 && portBase <= 65535)
      )
        throw new CliError(
          `--port-base: "${options.portBase}" is not a port (1-65535)`,
          EXIT.usage,
        );
      return (await import('../import/procfile.js')).importProcfile(path, { outDir, portBase });
    }
    case 'pm2':
      return (await import('../import/pm2.js')).importPm2File(path, { outDir, env: options.env });
    case 'supervisord':
      return (await import('../import/supervisord.js')).importSupervisord(path, { outDir });
    case 'process-compose':
      return (await import('../import/process-compose.js')).importProcessCompose(path, { outDir });
  }
}

/**
 * `warden import FORMAT [FILE]`: prints (or writes with `-o`) the warden.yaml, then lists on
 * stderr each source key without an exact equivalent. The output is loaded with warden's own
 * config loader before it is written; what does not load on this machine (a cwd or user missing
 * here) is said, and the exit code is 1.
 * @returns 0, or 1 when the output does not load here
 * @throws CliError exit 2 for an unknown format, a missing or malformed source, an existing -o
 */
export async function importCommand(
  format: string,
  file: string | undefined,
  options: ImportOptions,
): Promise<number> {
  // This module is not in the main bundle, whose CliError is another class: say it here.
  try {
    return await runImport(format, file, options);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    printError(error.message);
    return error.exitCode;
  }
}

async function runImport(
  format: string,
  file: string | undefined,
  options: ImportOptions,
): Promise<number> {
  if (!isFormat(format))
    throw new CliError(
      `unknown format "${format}"; use one of ${IMPORT_FORMATS.join(', ')}`,
      EXIT.usage,
    );
  const output = options.output === undefined ? undefined : resolve(options.output);
  if (output !== undefined && existsSync(output) && options.force !== true)
    throw new CliError(
      `${output} exists; pass --force to replace it, or another -o FILE`,
      EXIT.usage,
    );
  const outDir = output === undefined ? process.cwd() : dirname(output);
  let imported: Imported;
  try {
    imported = await read(format, file, options, outDir);
  } catch (error) {
    if (error instanceof ImportError)
      throw new CliError(error.message, EXIT.usage, { cause: error });
    throw error;
  }
  const text = emitYaml(imported);
  const target = output ?? resolve(outDir, 'warden.yaml');
  const loaded = await parseConfig(text, target);
  if (output === undefined) write(text);
  else writeFileSync(output, text);
  for (const note of imported.notes) printError(`note: ${formatNote(note)}`);
  if (output !== undefined) printError(`wrote ${output} (${imported.services.length} services)`);
  if (loaded.ok) return EXIT.ok;
  printError('the output does not load on this machine:');
  for (const issue of loaded.issues) printError(`  ${formatIssue(issue)}`);
  return EXIT.failed;
}
