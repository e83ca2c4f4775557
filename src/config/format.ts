// One-line rendering of config issues, in the `FILE:LINE:COL: message` form editors and grep understand.
import type { ConfigIssue } from './types.js';

/** A key path as users write it: `services.web.backoff.initial`, `services.db.command[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return i === 0 ? String(segment) : `.${String(segment)}`;
    })
    .join('');
}

/**
 * Formats an issue as `FILE:LINE:COL: PATH: MESSAGE`, e.g.
 * `/srv/warden.yaml:7:16: services.web.backoff.initial: "10 seconds" is not a duration; use e.g. 500ms, 10s, 5m`.
 * `:LINE:COL` is left out when the issue has no line, and `PATH: ` when its path is empty.
 */
export function formatIssue(issue: ConfigIssue): string {
  let place = issue.file;
  if (issue.line !== undefined) place += `:${issue.line}:${issue.column ?? 1}`;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${place}: ${path}${issue.message}`;
}
