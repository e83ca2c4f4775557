// A scheduled task's `schedule` as a systemd timer unit (systemd.timer(5)): its cron expression
// as OnCalendar= lines (systemd.time(7), "Calendar Events"), `catch_up` as Persistent=, `overlap:
// skip` as what a timer does anyway (it does not start a unit that is still active).
import type { ScheduleSpec } from '../../config/types.js';
import type { ExtraUnit } from './export-systemd-sockets.js';

/** croner's nicknames (croner's README, "Pattern"), as the 5 fields they stand for. */
const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const SYSTEMD_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** One cron field: its bounds, and the names it takes (index + `base` is the value). */
interface Field {
  min: number;
  max: number;
  names?: readonly string[];
  base?: number;
}

const SECOND: Field = { min: 0, max: 59 };
const MINUTE: Field = { min: 0, max: 59 };
const HOUR: Field = { min: 0, max: 23 };
const DAY: Field = { min: 1, max: 31 };
const MONTH: Field = { min: 1, max: 12, names: MONTHS, base: 1 };
// 0 and 7 are both Sunday.
const WEEKDAY: Field = { min: 0, max: 7, names: DAYS, base: 0 };

/**
 * The OnCalendar= values of a cron expression (5 fields, or 6 with seconds first; numbers,
 * names, `*`, `?`, ranges, steps, lists and croner's `@` nicknames), in `timezone` when given.
 * Cron runs when the day of the month or the day of the week matches, if both are restricted;
 * a calendar event needs both: such an expression gives two events, one for each.
 * @returns the values, or null for what has no exact calendar event here (`L`, `W`, `#`)
 */
export function onCalendar(cron: string, timezone: string | null): string[] | null {
  const fields = (NICKNAMES[cron.trim().toLowerCase()] ?? cron).trim().split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6) return null;
  const at = (i: number, field: Field) => values(fields[i]!, field);
  const [s, m, h, d, mo, w] = [
    at(0, SECOND),
    at(1, MINUTE),
    at(2, HOUR),
    at(3, DAY),
    at(4, MONTH),
    at(5, WEEKDAY),
  ];
  if (s === null || m === null || h === null || d === null || mo === null || w === null)
    return null;
  // Sunday as 0 (cron's 7 too), listed Monday first as systemd normalizes them.
  const weekdays =
    w === '*'
      ? '*'
      : [...new Set(w.map((day) => day % 7))].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  const time = `${list(h)}:${list(m)}:${list(s)}`;
  const zone = timezone === null ? '' : ` ${timezone}`;
  const event = (days: number[] | '*', week: number[] | '*'): string =>
    `${week === '*' ? '' : `${week.map((x) => SYSTEMD_DAYS[x]).join(',')} `}*-${list(mo)}-${list(days)} ${time}${zone}`;
  if (d !== '*' && weekdays !== '*') return [event(d, '*'), event('*', weekdays)];
  return [event(d, weekdays)];
}

// The values a field matches, sorted; '*' when it matches all; null when it cannot be read.
function values(text: string, field: Field): number[] | '*' | null {
  if (text === '*' || text === '?') return '*';
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (match === null) return null;
    const [, range, stepText] = match as unknown as [string, string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return null;
    let from: number | null;
    let to: number | null;
    if (range === '*') [from, to] = [field.min, field.max];
    else {
      const ends = range.split('-');
      if (ends.length > 2) return null;
      from = value(ends[0]!, field);
      // `5/15` runs from 5 to the end of the field.
      to = ends.length === 2 ? value(ends[1]!, field) : stepText === undefined ? from : field.max;
    }
    if (from === null || to === null || from > to) return null;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  const sorted = [...out].sort((a, b) => a - b);
  const all = field.max - field.min + 1;
  return sorted.length === all ? '*' : sorted;
}

function value(text: string, field: Field): number | null {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const v = named >= 0 ? named + (field.base ?? 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(v) && v >= field.min && v <= field.max ? v : null;
}

function list(v: number[] | '*'): string {
  return v === '*' ? '*' : v.map((x) => String(x).padStart(2, '0')).join(',');
}

/**
 * The timer unit `BASE.timer` that starts `BASE.service` at the times of `schedule`, and what it
 * could not say. @returns null (with the loss) when the expression has no calendar event here
 */
export function timerUnit(
  schedule: ScheduleSpec,
  base: string,
  mark: string,
  lose: (key: string, what: string) => void,
): ExtraUnit | null {
  const calendars = onCalendar(schedule.cron, schedule.timezone);
  if (calendars === null) {
    lose(
      'schedule',
      `no timer written: "${schedule.cron}" uses cron syntax without a calendar event here (L, W, #); add a .timer unit with OnCalendar=`,
    );
    return null;
  }
  if (schedule.overlap !== 'skip')
    lose(
      'overlap',
      `"${schedule.overlap}" has no equivalent: a timer does not start its unit while it runs (skip)`,
    );
  const text = [
    `${mark} from the schedule "${schedule.cron}".`,
    '[Unit]',
    `Description=warden schedule of ${base}`,
    '',
    '[Timer]',
    ...calendars.map((c) => `OnCalendar=${c}`),
    `Unit=${base}.service`,
    // catch_up: a time missed while the timer was not running starts the unit once at start-up.
    ...(schedule.catchUp ? ['Persistent=true'] : []),
    // Cron's accuracy: systemd's default AccuracySec= is a minute.
    'AccuracySec=1s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { file: `${base}.timer`, text };
}
