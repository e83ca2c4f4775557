// The schema of `schedule` and its companions (`timezone`, `overlap`, `catch_up`): run a task at
// the times of a cron expression (docs/config/schedule.md). The expression is parsed by croner,
// loaded only for a config that has a schedule.
import * as z from 'zod';
import type { PathIssue } from './zod-issues.js';

/** What to do when a scheduled time comes while the last run still runs. */
export const OVERLAPS = ['skip', 'queue', 'replace'] as const;
export type Overlap = (typeof OVERLAPS)[number];

/** `schedule`: when a task runs on its own. */
export interface ScheduleSpec {
  /** The cron expression as written: 5 fields, or 6 with seconds first (croner's syntax). */
  cron: string;
  /** An IANA time zone (`Europe/Berlin`) the times are in; null: the daemon's local time. */
  timezone: string | null;
  /** skip (default), queue (one run after the current one) or replace (stop it, run anew). */
  overlap: Overlap;
  /** Run once at daemon start when a scheduled time passed while no daemon ran. */
  catchUp: boolean;
}

/** The service keys of a schedule (zod shape), spread into the service schema. */
export const scheduleShape = {
  schedule: z.string().optional().meta({
    description:
      'Run this task at these times: a cron expression, 5 fields or 6 with seconds first ("*/5 * * * *").',
  }),
  timezone: z.string().optional().meta({
    description: 'The IANA time zone of schedule (Europe/Berlin). Default: the local time.',
  }),
  overlap: z.enum(OVERLAPS).optional().meta({
    description:
      'When a scheduled time comes while the last run still runs: skip, queue or replace. Default skip.',
  }),
  catch_up: z.boolean().optional().meta({
    description:
      'Run once at daemon start if a scheduled time passed while no daemon ran. Default false.',
  }),
};

type RawSchedule = { [K in keyof typeof scheduleShape]?: z.output<(typeof scheduleShape)[K]> };

/** The raw schedule keys of a service as a ScheduleSpec; null without `schedule`. */
export function toScheduleSpec(raw: RawSchedule): ScheduleSpec | null {
  if (raw.schedule === undefined) return null;
  return {
    cron: raw.schedule,
    timezone: raw.timezone ?? null,
    overlap: raw.overlap ?? 'skip',
    catchUp: raw.catch_up ?? false,
  };
}

/**
 * The issues of the services' schedules: on a `kind: service`, a companion key without
 * `schedule`, a time zone Intl does not know, a cron expression croner does not parse.
 * Loads croner only when some service has a schedule.
 */
export async function scheduleIssues(
  services: Readonly<Record<string, RawSchedule & { kind: string }>>,
): Promise<PathIssue[]> {
  const issues: PathIssue[] = [];
  const at = (name: string, key: string, message: string) =>
    issues.push({ path: ['services', name, key], target: 'value', message });
  for (const [name, raw] of Object.entries(services)) {
    if (raw.schedule === undefined) {
      for (const key of ['timezone', 'overlap', 'catch_up'] as const)
        if (raw[key] !== undefined) at(name, key, 'has no effect without schedule; add one');
      continue;
    }
    if (raw.kind !== 'task')
      at(name, 'schedule', 'is for tasks; add kind: task (a service runs until stopped)');
    if (raw.timezone !== undefined && !isTimeZone(raw.timezone))
      at(name, 'timezone', `"${raw.timezone}" is not a time zone; use an IANA name: Europe/Berlin`);
    const problem = await cronProblem(raw.schedule);
    if (problem !== null) at(name, 'schedule', problem);
  }
  return issues;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// Why croner refuses `pattern`, or null.
async function cronProblem(pattern: string): Promise<string | null> {
  const { Cron } = await import('croner');
  try {
    new Cron(pattern, { paused: true }).stop();
    return null;
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
    return `"${pattern}" is not a cron expression (${why}); use 5 fields, or 6 with seconds first: "*/5 * * * *"`;
  }
}
