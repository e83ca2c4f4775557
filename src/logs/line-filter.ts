// What `warden logs` keeps of a log: lines of some instances, since a time, of stderr, whose
// text matches a regular expression. Checked on each line's text without a regular expression
// of its own, and with a cache of the last timestamp's date, so that a search reads at the
// speed of the disk; a region of many lines can be ruled out by one test of the pattern.
import { parseLogLine, type Stream } from './format.js';

/** What lines to keep (the options of `warden logs`). */
export interface LogQuery {
  /** Only lines of these instances (`web:1`) or single-instance services (`web`); all if undefined. */
  instances?: ReadonlySet<string>;
  /** Only lines stamped at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Only lines whose text matches. Without the `g` or `y` flag (test() would keep state). */
  pattern?: RegExp;
  /** Only stderr lines. */
  isStderrOnly?: boolean;
}

/** A compiled LogQuery. */
export interface LineFilter {
  /** Whether `line` (without its newline) is kept; a line that is not a log line never is. */
  keep: (line: string) => boolean;
  /**
   * False only when no line of `region` (whole lines, UTF-8) can be kept: a search may skip it
   * without splitting it into lines. A pattern without special characters is looked for in
   * the bytes, undecoded.
   */
  mayKeepAny: (region: Buffer) => boolean;
}

/** The filter of `query`; undefined when it keeps every line (nothing to check). */
export function lineFilter(query: LogQuery): LineFilter | undefined {
  const { instances, sinceMs, pattern, isStderrOnly = false } = query;
  if (instances === undefined && sinceMs === undefined && pattern === undefined && !isStderrOnly)
    return undefined;
  const isWholeRegion = pattern !== undefined && isFreeOfAssertions(pattern);
  const literal =
    isWholeRegion && !/[\\^$.|?*+()[\]{}]/.test(pattern.source)
      ? Buffer.from(pattern.source)
      : undefined;
  return {
    keep: (line) => {
      const parsed = splitLine(line);
      if (parsed === undefined) return false;
      if (instances !== undefined && !instances.has(parsed.instance)) return false;
      if (sinceMs !== undefined && parsed.time < sinceMs) return false;
      if (isStderrOnly && parsed.stream !== 'err') return false;
      return pattern === undefined || pattern.test(parsed.text);
    },
    mayKeepAny: (region) => {
      if (literal !== undefined) return region.includes(literal);
      return !isWholeRegion || pattern.test(region.toString('utf8'));
    },
  };
}

// A pattern without anchors, word boundaries or lookaround matches a text only if it matches
// every longer string that contains that text (such as a region of lines holding it).
function isFreeOfAssertions(pattern: RegExp): boolean {
  return pattern.flags === '' && !/[\^$]|\\[bB]|\(\?[=!<]/.test(pattern.source);
}

/** The fields of a log line; undefined for anything else. Same result as parseLogLine. */
export function splitLine(
  line: string,
): { time: number; instance: string; stream: Stream; text: string } | undefined {
  if (line.startsWith('{')) return parseLogLine(line);
  // TIME INSTANCE STREAM | TEXT
  const a = line.indexOf(' ');
  const b = a <= 0 ? -1 : line.indexOf(' ', a + 1);
  if (b <= a + 1) return undefined;
  const isOut = line.startsWith('out | ', b + 1);
  if (!isOut && !line.startsWith('err | ', b + 1)) return undefined;
  const time = timeOf(line.slice(0, a));
  if (Number.isNaN(time)) return undefined;
  return {
    time,
    instance: line.slice(a + 1, b),
    stream: isOut ? 'out' : 'err',
    text: line.slice(b + 7),
  };
}

/** The time of a log line (ms since the epoch), or undefined if it is not a log line. */
export function lineTime(line: string): number | undefined {
  if (line.startsWith('{')) return parseLogLine(line)?.time;
  const a = line.indexOf(' ');
  if (a <= 0) return undefined;
  const time = timeOf(line.slice(0, a));
  return Number.isNaN(time) ? undefined : time;
}

/** The time of the log line in bytes `[start, end)` of `buf`, without decoding more than its stamp. */
export function timeAt(buf: Buffer, start: number, end: number): number | undefined {
  if (buf[start] === 0x7b) return lineTime(buf.toString('utf8', start, end)); // {
  const space = buf.indexOf(0x20, start);
  if (space <= start || space >= end) return undefined;
  const time = timeOf(buf.toString('latin1', start, space));
  return Number.isNaN(time) ? undefined : time;
}

// The minute of the last timestamp parsed (`2026-11-21T08:30:` and the zone after the ms).
let cachedHead = '';
let cachedZone = '';
let cachedBase = NaN;

/** Date.parse of an ISO 8601 time, fast for runs of `YYYY-MM-DDTHH:MM:SS.mmm(Z|+hh:mm)`. */
export function timeOf(token: string): number {
  if (token.length < 24 || token.charCodeAt(16) !== 58 || token.charCodeAt(19) !== 46)
    return Date.parse(token);
  const s = digits(token, 17, 2);
  const ms = digits(token, 20, 3);
  if (Number.isNaN(s) || Number.isNaN(ms) || s > 59) return Date.parse(token);
  if (!token.startsWith(cachedHead) || !token.endsWith(cachedZone) || cachedHead === '') {
    cachedHead = token.slice(0, 17);
    cachedZone = token.slice(23);
    cachedBase = Date.parse(`${cachedHead}00.000${cachedZone}`);
  }
  // Another layout (more digits of the second...): the cache does not apply.
  if (token.length !== 23 + cachedZone.length || Number.isNaN(cachedBase)) return Date.parse(token);
  return cachedBase + s * 1000 + ms;
}

function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}
