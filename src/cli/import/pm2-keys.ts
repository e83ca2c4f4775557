// PM2 app keys that are not the command: each either becomes a warden key or gets a note that
// says what was done and why. Units: PM2 gives times in ms and memory as `300M` / `1G` / bytes.
import { availableParallelism } from 'node:os';
import { parseDuration } from '../../config/duration.js';
import { durationOf, keyValue, type ImportNote } from './model.js';

/** What handling one app's keys produced. */
export interface KeyResult {
  fields: Record<string, unknown>;
  comments: string[];
  notes: Omit<ImportNote, 'where' | 'service'>[];
}

// A PM2 time: ms as a number, or a string such as "10s" (PM2 reads those with the `ms` package).
function msOf(value: unknown): number | undefined {
  if (typeof value === 'number' && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  const parsed = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
  return parsed.ok ? parsed.ms : undefined;
}

/** PM2's max_memory_restart (`300M`, `1G`, `512K`, bytes) as a warden size, e.g. `300MB`. */
export function memoryOf(value: unknown): string | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG])?B?$/i.exec(String(value).trim());
  if (m === null) return undefined;
  const unit = m[2]?.toUpperCase();
  return unit === undefined ? `${m[1]}B` : `${m[1]}${unit}B`;
}

// The keys that are only logs, and where warden keeps them instead.
const LOG_KEYS = [
  'out_file',
  'error_file',
  'log_file',
  'output',
  'error',
  'log',
  'combine_logs',
  'merge_logs',
  'log_date_format',
  'log_type',
  'time',
  'disable_logs',
  'pid_file',
];
// Keys with no meaning for warden (deployment, PM2's own services).
const PM2_ONLY = [
  'vizion',
  'force',
  'source_map_support',
  'automation',
  'pmx',
  'disable_trace',
  'post_update',
  'filter_env',
  'append_env_to_name',
  'namespace',
  'version',
  'increment_var',
  'kill_retry_time',
  'windowsHide',
  'ignore_watch',
  'watch_delay',
  'watch_options',
  'instance_var',
];

/**
 * Translates the keys of one app other than name, script, args, interpreter, cwd and env.
 * Unknown keys get a note too.
 */
export function translateKeys(app: Record<string, unknown>, name: string): KeyResult {
  const r: KeyResult = { fields: {}, comments: [], notes: [] };
  const note = (key: string, value: unknown, action: string, why: string) =>
    r.notes.push({ key: keyValue(key, value), action, why });
  const known = new Set([
    'name',
    'script',
    'args',
    'interpreter',
    'exec_interpreter',
    'interpreter_args',
    'node_args',
    'cwd',
    'env',
  ]);
  for (const [key, value] of Object.entries(app)) {
    if (known.has(key) || key.startsWith('env_')) continue;
    switch (key) {
      case 'instances': {
        const n = Number(value);
        if (Number.isInteger(n) && n >= 1) r.fields.instances = n;
        else {
          const cpus = Math.max(1, availableParallelism() + (n === -1 ? -1 : 0));
          r.fields.instances = cpus;
          note(
            key,
            value,
            `written as instances: ${cpus}`,
            "PM2 counts this machine's CPUs at each start; warden needs a number",
          );
        }
        break;
      }
      case 'exec_mode':
        if (/^cluster/.test(String(value)))
          note(
            key,
            value,
            'not translated (each instance is a separate process)',
            "PM2's cluster mode shares one port between instances through Node's cluster module; in warden, bind the port once with `listen:` and have each instance use the socket it gets in LISTEN_FDS (docs/config/listen.md), or give each instance its own port from WARDEN_INSTANCE",
          );
        break;
      case 'autorestart':
        if (value === false) r.fields.restart = 'never';
        break;
      case 'stop_exit_codes': {
        if (app.autorestart === false) break;
        const codes = (Array.isArray(value) ? value : [value]).map(Number);
        r.fields.restart = 'on-failure';
        if (!(codes.length === 1 && codes[0] === 0))
          note(
            key,
            value,
            'written as restart: on-failure',
            'warden counts only exit status 0 as a clean exit; other codes listed here are restarted',
          );
        break;
      }
      case 'max_restarts':
        r.fields.start_limit = { burst: Number(value) };
        note(
          key,
          value,
          `written as start_limit: {burst: ${Number(value)}} (within 60s)`,
          'PM2 counts restarts that came sooner than min_uptime in a row; warden counts failed starts within start_limit.interval',
        );
        break;
      case 'min_uptime': {
        const ms = msOf(value);
        if (ms === undefined) note(key, value, 'not translated', 'not a time in ms');
        else r.fields.min_uptime = durationOf(ms);
        break;
      }
      case 'restart_delay': {
        const ms = msOf(value);
        if (ms !== undefined && ms > 0)
          r.fields.backoff = { initial: durationOf(ms), max: durationOf(ms) };
        break;
      }
      case 'exp_backoff_restart_delay': {
        const ms = msOf(value) ?? 100;
        r.fields.backoff = { initial: durationOf(ms), max: durationOf(Math.max(ms, 15_000)) };
        note(
          key,
          value,
          `written as backoff: {initial: ${durationOf(ms)}, max: ${durationOf(Math.max(ms, 15_000))}}`,
          'PM2 grows the delay 1.5x per restart, warden doubles it; both stop at 15s here',
        );
        break;
      }
      case 'kill_timeout': {
        const ms = msOf(value);
        if (ms !== undefined) r.fields.stop_timeout = durationOf(ms);
        break;
      }
      case 'max_memory_restart': {
        const size = memoryOf(value);
        if (size === undefined) {
          note(key, value, 'not translated', 'not a size such as 300M or 1G');
          break;
        }
        r.fields.limits = { memory: size };
        note(
          key,
          value,
          `written as limits: {memory: ${size}}`,
          "PM2 restarts the app when its RSS passes the size; warden's limits.memory (cgroup memory.max; RSS polled without cgroups) stops it at that size and restarts it as a failure (OOM killed)",
        );
        break;
      }
      case 'cron_restart':
        note(
          key,
          value,
          'not translated',
          `warden has no timed restarts yet; a crontab line does it: ${String(value)} warden restart ${name}`,
        );
        break;
      case 'watch':
        if (value !== false)
          note(
            key,
            value,
            'not translated',
            `warden does not watch files; run "warden restart ${name}" from a watcher (watchexec, entr) during development`,
          );
        break;
      case 'wait_ready':
      case 'listen_timeout':
      case 'shutdown_with_message':
        note(
          key,
          value,
          'not translated',
          "PM2's process.send('ready') and shutdown messages use its IPC channel; in warden, send READY=1 with notify() from the 'warden' library and set ready: {notify: true}",
        );
        break;
      case 'treekill':
        if (value === false)
          note(
            key,
            value,
            'not translated',
            'warden always signals the whole process tree on stop',
          );
        break;
      case 'user':
      case 'uid':
        r.fields.user = String(value);
        break;
      case 'gid':
        r.fields.group = String(value);
        break;
      case 'port':
        r.fields.env = { PORT: String(value) };
        break;
      case 'autostart':
        if (value === false)
          note(
            key,
            value,
            'not translated',
            `"warden up" starts every service; to leave this one out, name the others: warden up A B`,
          );
        break;
      default:
        if (LOG_KEYS.includes(key))
          note(
            key,
            value,
            'not translated',
            `warden keeps each service's output in logs/${name}.log of its home, timestamped and rotated; read it with "warden logs ${name}" (docs/config/logs.md)`,
          );
        else if (PM2_ONLY.includes(key))
          note(
            key,
            value,
            'not translated',
            'a PM2 feature warden has no use for or equivalent of',
          );
        else note(key, value, 'not translated', 'not a key of PM2 known to this importer');
    }
  }
  const instances = r.fields.instances;
  if (typeof instances === 'number' && instances > 1)
    r.notes.push({
      key: 'NODE_APP_INSTANCE',
      action: 'not set',
      why: 'warden numbers instances in WARDEN_INSTANCE (0, 1, ...)',
    });
  return r;
}
