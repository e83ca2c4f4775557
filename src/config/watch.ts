// The schema of `watch`: restart a service when files under its paths change
// (docs/config/watch.md). Paths are relative to the service's cwd.
import * as z from 'zod';

/** `watch`: what to watch, what to leave out, how long a burst of changes lasts. */
export interface WatchSpec {
  /** Files or directories (recursively), absolute: relative ones resolve against the service's cwd. */
  paths: string[];
  /**
   * Patterns of paths whose changes do nothing, as in .gitignore: one without `/` matches any
   * path segment (`node_modules`, `*.log`); one with `/` matches the path from the cwd and what is under it.
   */
  ignore: string[];
  /** Changes within this long of the last one make one restart (ms). Default 300. */
  debounceMs: number;
}

/** The keys of `watch`, for "did you mean" hints. */
export const WATCH_KEYS = ['paths', 'ignore', 'debounce'];

const pathList = (what: string) =>
  z
    .array(z.string().min(1, { error: 'is empty; give a path or pattern' }), {
      error: (issue) =>
        issue.input === undefined ? undefined : `expected a list of ${what}, e.g. [src]`,
    })
    .meta({ description: `A list of ${what}.` });

/** Builds the `watch` schema around the `duration` builder of schema.ts. */
export function watchSchema(duration: (d: string, what: string) => z.ZodType<number>) {
  return z
    .strictObject({
      paths: pathList('paths (relative to the service cwd)')
        .min(1, { error: 'is empty; give at least one path, e.g. [src]' })
        .prefault(['.']),
      ignore: pathList('patterns (node_modules, "*.log")').prefault([]),
      debounce: duration('300ms', 'Changes within this long of the last make one restart.'),
    })
    .optional()
    .meta({
      description:
        'Restart the service when files under paths change (rolling with several instances or a ready check).',
    });
}

/** The raw `watch` of the schema, paths resolved by `resolvePath` (against the service cwd). */
export function toWatchSpec(
  raw: { paths: string[]; ignore: string[]; debounce: number } | undefined,
  resolvePath: (path: string) => string,
): WatchSpec | null {
  if (raw === undefined) return null;
  return { paths: raw.paths.map(resolvePath), ignore: raw.ignore, debounceMs: raw.debounce };
}
