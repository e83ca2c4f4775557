// `warden import procfile`: the same services `warden up -f Procfile` runs, as YAML.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { formatIssue } from '../../config/format.js';
import { parseProcfile, procfileDocument } from '../../config/procfile.js';
import { cwdFor, ImportError, NoteBook, type Imported } from './model.js';

/** Options of {@link importProcfile}. */
export interface ProcfileImportOptions {
  /** The directory of the warden.yaml written (its relative paths start there). */
  outDir: string;
  /** foreman's PORT convention from this base (`--port-base`). */
  portBase?: number;
}

/**
 * Reads the Procfile at `file` (absolute) and the `.env` beside it.
 * @throws ImportError naming each malformed line
 */
export function importProcfile(file: string, options: ProcfileImportOptions): Imported {
  const parsed = parseProcfile(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new ImportError(parsed.issues.map(formatIssue).join('\n'));
  const dir = dirname(file);
  const dotenv = join(dir, '.env');
  const envFile = existsSync(dotenv) ? relative(options.outDir, dotenv) : undefined;
  const { document } = procfileDocument(parsed.entries, { envFile, portBase: options.portBase });
  const fields = (document as { services: Record<string, Record<string, unknown>> }).services;
  const cwd = cwdFor(options.outDir, dir);
  const notes = new NoteBook(file);
  notes.add({
    key: 'one process ends',
    action: 'it is restarted on its own (restart: always)',
    why: 'foreman stops every process when one ends; warden keeps the others running',
  });
  if (options.portBase === undefined)
    notes.add({
      key: 'PORT',
      action: 'not set',
      why: 'foreman sets PORT (5000, 5100, ...); pass --port-base 5000 to write it',
    });
  return {
    from: `${file} (Procfile)`,
    services: parsed.entries.map((e) => ({
      name: e.name,
      fields: cwd === undefined ? (fields[e.name] ?? {}) : { ...fields[e.name], cwd },
      comments: [],
    })),
    notes: notes.notes,
  };
}
