// How a captured line is written: `2026-11-21T08:30:00.123Z web:0 err | text`, or one JSON
// object per line; times in UTC (`Z`) or local time with its offset (`+01:00`), ISO 8601 with ms.

/** Which output of the instance a line came from. */
export type Stream = 'out' | 'err';

/** The layout of log lines (config `logs.format` and `logs.time`). */
export interface LineFormat {
  /** `text`: `TIME INSTANCE STREAM | text`; `json`: `{"time","instance","stream","text"}`. */
  kind: 'text' | 'json';
  /** `utc`: `...123Z`; `local`: the daemon's local time with its offset, `...123+01:00`. */
  time: 'utc' | 'local';
}

/** The default layout: text, UTC. */
export const DEFAULT_FORMAT: LineFormat = { kind: 'text', time: 'utc' };

/** A parsed log line. `time` is ms since the epoch. */
export interface LogLine {
  time: number;
  instance: string;
  stream: Stream;
  text: string;
}

/** ISO 8601 with ms of `time` (ms since the epoch), in UTC or in local time with its offset. */
export function formatTime(time: number, zone: LineFormat['time']): string {
  const date = new Date(time);
  if (zone === 'utc') return date.toISOString();
  const offset = -date.getTimezoneOffset();
  const local = new Date(time + offset * 60_000).toISOString().slice(0, -1);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${local}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/**
 * Formats one log line, newline included. `text` must hold no newline (capture splits lines
 * and escapes control bytes before this).
 * @param time ms since the epoch
 */
export function formatLogLine(
  time: number,
  instance: string,
  stream: Stream,
  text: string,
  format: LineFormat = DEFAULT_FORMAT,
): string {
  const stamp = formatTime(time, format.time);
  if (format.kind === 'json') return `${JSON.stringify({ time: stamp, instance, stream, text })}\n`;
  return `${stamp} ${instance} ${stream} | ${text}\n`;
}

/** The part of a text line before its text: `TIME INSTANCE STREAM | `. */
export function textPrefix(
  time: number,
  instance: string,
  stream: Stream,
  zone: LineFormat['time'],
): string {
  return `${formatTime(time, zone)} ${instance} ${stream} | `;
}

/** Parses a line of either format (without its newline); undefined for anything else. */
export function parseLogLine(line: string): LogLine | undefined {
  if (line.startsWith('{')) return parseJsonLine(line);
  const m = /^(\S+) (\S+) (out|err) \| (.*)$/s.exec(line);
  if (m === null) return undefined;
  const time = Date.parse(m[1] ?? '');
  if (Number.isNaN(time)) return undefined;
  return { time, instance: m[2] ?? '', stream: m[3] as Stream, text: m[4] ?? '' };
}

function parseJsonLine(line: string): LogLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { time, instance, stream, text } = value as Record<string, unknown>;
  if (typeof time !== 'string' || typeof instance !== 'string' || typeof text !== 'string')
    return undefined;
  if (stream !== 'out' && stream !== 'err') return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : { time: ms, instance, stream, text };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
