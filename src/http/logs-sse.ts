// GET /api/v1/logs?service=NAME&lines=N&follow=1 (docs/dashboard.md "Event streams"): the log
// files read as `warden logs` reads them (src/logs: history, then follow across rotations), each
// line sent as `event: line`. Without follow the stream ends after the last lines.
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { follow } from '../logs/follow.js';
import { parseLogLine } from '../logs/format.js';
import { readHistory } from '../logs/history.js';
import { lineFilter, type LineFilter } from '../logs/line-filter.js';
import type { RouteHandler } from './router.js';
import { openSse, type SseChannel } from './sse.js';
import type { WardenSource } from './source.js';

/** Lines sent before the new ones unless `lines` says otherwise. */
const DEFAULT_LINES = 100;
/** Most lines a client may ask for (they are read at once, in the daemon's event loop). */
const MAX_LINES = 1000;

/** The data of an `event: line`. */
export interface LineEvent {
  service: string;
  /** `web`, or `web:0` when the service has several. */
  instance: string;
  /** `out` (stdout) or `err` (stderr). */
  stream: 'out' | 'err';
  /** Its text, as stored (control bytes escaped). */
  line: string;
  /** When it was captured (ms since the epoch). */
  time: number;
}

/** What a request asks for, or why it cannot be served. */
type LogsQuery =
  | {
      ok: true;
      services: string[];
      /** No service named: every service, and those a reload adds. */
      isAll: boolean;
      filter: LineFilter | undefined;
      lines: number;
      isFollow: boolean;
    }
  | { ok: false; status: number; code: string; message: string };

/** Serves the log files of `source`'s services (in `source.logDir`). */
export function logsRoute(source: WardenSource): RouteHandler {
  return (req, res) => {
    const query = queryOf(req, source);
    if (!query.ok) return refuse(res, query);
    const paths = query.services.map((s) => join(source.logDir, `${s}.log`));
    const channel = openSse(res);
    const send = (raw: string): void => {
      const parsed = parseLogLine(raw);
      if (parsed === undefined) return;
      const { instance, stream, text, time } = parsed;
      const line: LineEvent = { service: serviceOf(instance), instance, stream, line: text, time };
      channel.send('line', line, 'lines');
    };
    const starts = readHistory(paths, (buf, start, end) => send(buf.toString('utf8', start, end)), {
      lines: query.lines,
      filter: query.filter,
      isFollow: query.isFollow,
    });
    if (!query.isFollow) return channel.end();
    followLogs(channel, paths, starts, query, source.logDir, send);
  };
}

function followLogs(
  channel: SseChannel,
  paths: string[],
  starts: ReturnType<typeof readHistory>,
  query: Extract<LogsQuery, { ok: true }>,
  logDir: string,
  send: (line: string) => void,
): void {
  try {
    const stop = follow(
      paths,
      (line) => {
        if (query.filter === undefined || query.filter.keep(line)) send(line);
      },
      {
        // Without `service`: services that a reload adds, too.
        discover: query.isAll ? { dir: logDir, match: (name) => name.endsWith('.log') } : undefined,
        onError: (message) => channel.send('error', { message }, null),
        from: starts,
      },
    );
    channel.onClose(stop);
  } catch (error) {
    channel.send(
      'error',
      { message: error instanceof Error ? error.message : String(error) },
      null,
    );
    channel.end();
  }
}

function queryOf(req: IncomingMessage, source: WardenSource): LogsQuery {
  const params = new URL(req.url ?? '/', 'http://warden').searchParams;
  const names = params
    .getAll('service')
    .flatMap((s) => s.split(','))
    .filter((s) => s !== '');
  const known = new Set(source.instances().map((i) => i.name));
  const services = new Set(source.logCounts().map((c) => c.service));
  for (const name of names)
    if (!known.has(name) && !services.has(name))
      return {
        ok: false,
        status: 404,
        code: 'UNKNOWN_SERVICE',
        message: `no service or instance "${name}" in the config`,
      };
  const lines = Number(params.get('lines') ?? DEFAULT_LINES);
  if (!Number.isInteger(lines) || lines < 0 || lines > MAX_LINES)
    return {
      ok: false,
      status: 400,
      code: 'INVALID_PARAMS',
      message: `lines takes a whole number from 0 to ${MAX_LINES}, not "${params.get('lines')}"`,
    };
  const follows = params.get('follow');
  return {
    ok: true,
    services: names.length === 0 ? [...services] : [...new Set(names.map(serviceOf))],
    isAll: names.length === 0,
    // As `warden logs web:1 api`: an instance named keeps only its lines.
    filter: lineFilter({
      instances: names.some((n) => n.includes(':')) ? new Set(names) : undefined,
    }),
    lines,
    isFollow: follows === '1' || follows === 'true',
  };
}

function refuse(res: ServerResponse, q: Extract<LogsQuery, { ok: false }>): void {
  res.writeHead(q.status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: { code: q.code, message: q.message } }));
}

// `web:0` -> `web`; `web` -> `web`.
function serviceOf(instance: string): string {
  return instance.replace(/:\d+$/, '');
}
