// A task as Kubernetes workloads that run to their end (the Kubernetes API reference for Job
// and CronJob): a Job, and a CronJob for a scheduled one.
import type { ScheduleSpec, ServiceSpec } from '../../config/types.js';
import { onCalendar } from './export-systemd-timer.js';

/**
 * A task as a Job (batch/v1): its instances run once each, a failed one is run again as its
 * restart policy says (never: not at all; else up to its start limit), and runtime_max bounds
 * the whole run. `pod` is the pod spec of its Deployment.
 */
export function taskJob(
  spec: ServiceSpec,
  name: string,
  labels: Record<string, string>,
  pod: Record<string, unknown>,
): Record<string, unknown> {
  const never = spec.restart === 'never';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      completions: spec.instances,
      parallelism: spec.instances,
      backoffLimit: never ? 0 : spec.startLimit.burst,
      ...(spec.runtimeMaxMs === null
        ? {}
        : { activeDeadlineSeconds: Math.ceil(spec.runtimeMaxMs / 1000) }),
      template: {
        metadata: { labels },
        spec: { ...pod, restartPolicy: never ? 'Never' : 'OnFailure' },
      },
    },
  };
}

/**
 * A scheduled task as a CronJob (batch/v1) running its `job` at the schedule's times: five
 * fields (Kubernetes runs at most once a minute), the time zone as timeZone, overlap as the
 * concurrencyPolicy. @returns null (with the loss) when the expression has no CronJob schedule
 */
export function scheduledJob(
  schedule: ScheduleSpec,
  job: Record<string, unknown>,
  lose: (key: string, what: string) => void,
): Record<string, unknown> | null {
  const fields = schedule.cron.trim().split(/\s+/);
  if (fields.length === 6 && fields[0] === '0') fields.shift();
  // What a calendar event can say (numbers, names, ranges, steps, lists, nicknames), a CronJob
  // can too: its schedule has cron's syntax without croner's L, W and #.
  if (fields.length === 6 || onCalendar(schedule.cron, null) === null) {
    lose(
      'schedule',
      `"${schedule.cron}" has no CronJob schedule (5 fields, no seconds, no L, W or #): exported as a Job that runs once`,
    );
    return null;
  }
  if (schedule.overlap === 'queue')
    lose(
      'overlap',
      '"queue" has no equivalent: the CronJob skips a time while a run runs (Forbid)',
    );
  if (!schedule.catchUp)
    lose(
      'catch_up',
      'false has no exact equivalent: the CronJob controller runs the last missed time once when it can; startingDeadlineSeconds bounds how late',
    );
  const { metadata, spec } = job as { metadata: { labels: object }; spec: object };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata,
    spec: {
      schedule: fields.join(' '),
      ...(schedule.timezone === null ? {} : { timeZone: schedule.timezone }),
      concurrencyPolicy: schedule.overlap === 'replace' ? 'Replace' : 'Forbid',
      jobTemplate: { metadata: { labels: metadata.labels }, spec },
    },
  };
}
