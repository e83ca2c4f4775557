// `warden import pm2 FILE [--env NAME]`: the apps of a PM2 ecosystem file as warden services.
import { basename, dirname, extname, resolve } from 'node:path';
import { escapeVariables } from '../../config/variables.js';
import { loadEcosystem } from './pm2-load.js';
import { pm2Command } from './pm2-command.js';
import { translateKeys } from './pm2-keys.js';
import {
  cwdFor,
  ImportError,
  keyValue,
  NoteBook,
  serviceNameOf,
  type Imported,
  type ImportedService,
} from './model.js';

/** Options of the PM2 importers. */
export interface Pm2Options {
  /** The directory of the warden.yaml written. */
  outDir: string;
  /** The `env_NAME` block applied over `env` (PM2's `--env NAME`). */
  env?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Env values as warden takes them: strings, numbers and booleans; anything else as JSON.
function envOf(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      ['string', 'number', 'boolean'].includes(typeof v) ? v : JSON.stringify(v),
    ]),
  );
}

/**
 * Translates PM2 apps (`{apps: [...]}` entries, or apps rebuilt from `pm2 jlist`).
 * @param baseDir the directory relative `cwd`s start from (the ecosystem file's).
 * @throws ImportError for an app without `script`
 */
export function translateApps(
  apps: unknown[],
  notes: NoteBook,
  options: Pm2Options & { baseDir: string },
): ImportedService[] {
  const taken = new Set<string>();
  return apps.map((raw, index) => {
    if (!isRecord(raw) || typeof raw.script !== 'string' || raw.script === '')
      throw new ImportError(
        `${notes.file}: apps[${index}] has no "script"; each PM2 app needs one`,
      );
    const given =
      typeof raw.name === 'string' ? raw.name : basename(raw.script, extname(raw.script));
    let name = serviceNameOf(given, `app${index}`);
    while (taken.has(name)) name = `${name}-${index}`;
    taken.add(name);
    if (name !== given)
      notes.add({
        service: name,
        key: keyValue('name', given),
        action: `named ${name}`,
        why: 'a warden service name is letters, digits, "_", "." and "-", each name once',
      });
    const keys = translateKeys(raw, name);
    for (const n of keys.notes) notes.add({ service: name, ...n });
    const env = { ...envOf(raw.env), ...(keys.fields.env as Record<string, unknown> | undefined) };
    const blocks = Object.keys(raw).filter((k) => k.startsWith('env_'));
    for (const block of blocks) {
      if (block === `env_${options.env}`) Object.assign(env, envOf(raw[block]));
      else
        notes.add({
          service: name,
          key: block,
          action: 'not applied',
          why: `pass --env ${block.slice(4)} to apply it over env`,
        });
    }
    if (options.env !== undefined && !blocks.includes(`env_${options.env}`))
      notes.add({
        service: name,
        key: `env_${options.env}`,
        action: 'not found',
        why: `--env ${options.env} asked for it; this app has ${blocks.join(', ') || 'no env_ blocks'}`,
      });
    const dir = resolve(options.baseDir, typeof raw.cwd === 'string' ? raw.cwd : '.');
    const cwd = cwdFor(options.outDir, dir);
    const fields: Record<string, unknown> = { command: pm2Command(raw) };
    // PM2 takes values as they are: a `${X}` in them is no variable of warden's either.
    if (cwd !== undefined) fields.cwd = escapeVariables(cwd);
    if (Object.keys(env).length > 0)
      fields.env = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? escapeVariables(v) : v]),
      );
    const { env: _portEnv, ...rest } = keys.fields;
    return { name, fields: { ...fields, ...rest }, comments: keys.comments };
  });
}

/**
 * Reads a PM2 ecosystem file (absolute path; a JS file is run in a separate Node process).
 * @throws ImportError when it cannot be read or holds no apps
 */
export async function importPm2File(file: string, options: Pm2Options): Promise<Imported> {
  const value = await loadEcosystem(file);
  const apps = Array.isArray(value) ? value : isRecord(value) ? value.apps : undefined;
  const list = Array.isArray(apps) ? apps : isRecord(apps) ? [apps] : undefined;
  if (list === undefined || list.length === 0)
    throw new ImportError(
      `${file}: holds no "apps" list; a PM2 ecosystem file exports {apps: [{name, script}, ...]}`,
    );
  const notes = new NoteBook(file);
  if (isRecord(value) && value.deploy !== undefined)
    notes.add({
      key: 'deploy',
      action: 'not translated',
      why: 'warden supervises; it does not deploy code',
    });
  const services = translateApps(list, notes, { ...options, baseDir: dirname(file) });
  return { from: `${file} (PM2)`, services, notes: notes.notes };
}
