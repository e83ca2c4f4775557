// `warden import pm2 --running`: the apps of the running PM2, from `pm2 jlist`.
import { execFile } from 'node:child_process';
import { ImportError, NoteBook, type Imported } from './model.js';
import { translateApps, type Pm2Options } from './pm2.js';

/** How long `pm2 jlist` may take, in ms. */
export const JLIST_TIMEOUT_MS = 15_000;

// What PM2 adds to an app's environment for itself.
const PM2_VARIABLES = /^(PM2_|pm_|axm_|NODE_APP_INSTANCE$|unique_id$|name$|km_link$|status$)/;

// pm2_env keys that are the app's config (the rest is PM2's runtime state).
const CONFIG_KEYS = [
  'args',
  'node_args',
  'exec_interpreter',
  'exec_mode',
  'autorestart',
  'max_restarts',
  'min_uptime',
  'kill_timeout',
  'restart_delay',
  'exp_backoff_restart_delay',
  'max_memory_restart',
  'cron_restart',
  'watch',
  'stop_exit_codes',
  'treekill',
  'namespace',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jlist(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'pm2',
      ['jlist'],
      { timeout: JLIST_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        const why =
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'pm2 is not in PATH'
            : stderr.trim() || error.message;
        reject(new ImportError(`"pm2 jlist" failed: ${why}`));
      },
    );
  });
}

// The app config of one jlist entry, keyed as in an ecosystem file.
function appOf(
  proc: Record<string, unknown>,
  instances: number,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const pm2Env = isRecord(proc.pm2_env) ? proc.pm2_env : {};
  const app: Record<string, unknown> = {
    name: proc.name,
    script: pm2Env.pm_exec_path,
    cwd: pm2Env.pm_cwd,
  };
  for (const key of CONFIG_KEYS) if (pm2Env[key] !== undefined) app[key] = pm2Env[key];
  if (app.exec_interpreter === 'node' && /\.(c|m)?js$/.test(String(app.script)))
    delete app.exec_interpreter;
  if (Array.isArray(app.node_args) && app.node_args.length === 0) delete app.node_args;
  if (instances > 1) app.instances = instances;
  const appEnv = isRecord(pm2Env.env) ? pm2Env.env : {};
  app.env = Object.fromEntries(
    Object.entries(appEnv).filter(
      ([k, v]) => !PM2_VARIABLES.test(k) && k !== String(proc.name) && env[k] !== String(v),
    ),
  );
  return app;
}

/**
 * Reads the process list of the PM2 daemon that `pm2` in PATH talks to (its PM2_HOME), one
 * service per app name (`instances` counts its processes).
 * @throws ImportError when pm2 is missing, fails or prints no list
 */
export async function importPm2Running(options: Pm2Options): Promise<Imported> {
  const text = await jlist();
  let list: unknown;
  try {
    // pm2 may print a banner before the JSON list.
    list = JSON.parse(text.slice(Math.max(0, text.indexOf('['))));
  } catch {
    throw new ImportError(`"pm2 jlist" printed no JSON list: ${text.slice(0, 200)}`);
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new ImportError(
      '"pm2 jlist" lists no process; start your apps with pm2 first, or import the ecosystem file',
    );
  const byName = new Map<string, Record<string, unknown>[]>();
  for (const proc of list.filter(isRecord)) {
    const name = String(proc.name);
    byName.set(name, [...(byName.get(name) ?? []), proc]);
  }
  const apps = [...byName.values()].map((procs) =>
    appOf(procs[0] ?? {}, procs.length, process.env),
  );
  const notes = new NoteBook('pm2 jlist');
  notes.add({
    key: 'env',
    action: 'variables with the same value in this shell left out',
    why: "PM2 stores the whole environment it started each app with; warden's services inherit the daemon's",
  });
  const services = translateApps(apps, notes, { ...options, baseDir: options.outDir });
  return { from: '"pm2 jlist" (the running PM2)', services, notes: notes.notes };
}
