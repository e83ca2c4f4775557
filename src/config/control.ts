// The top-level `control` key (docs/config/control.md): who besides root and the daemon's user
// may use the control socket. Its schema, and the group's resolution against the group database.
import * as z from 'zod';
import { lookUpGroup, type UserDatabases } from '../effects/identity/users.js';
import { describeValue, showValue } from './issue-messages.js';
import type { ControlAccess } from './types.js';
import type { PathIssue } from './zod-issues.js';

/** The keys of `control`. */
export const controlShape = {
  group: z
    .union([z.string().regex(/^[^:\s]+$/), z.int().min(0)], {
      error: (issue) => `expected a group name or number, got ${describeValue(issue.input)}`,
    })
    .optional()
    .meta({
      description:
        "Members of this group (name or gid; primary or supplementary) may use the control socket too, as Docker's group works: the home becomes mode 0710 and the socket 0660 with this group. Membership is as good as the daemon's own user (root, for root's daemon).",
    }),
};

/** The schema of `control`. */
export const controlSchema = z
  .strictObject(controlShape)
  .optional()
  .meta({ description: "Who may use the control socket besides root and the daemon's user." });

/** What the process asking may give a file to: its own gids (chown(2)'s rule for non-root). */
export interface OwnGroups {
  uid: number;
  gids: readonly number[];
}

const ownGroups = (): OwnGroups => ({
  uid: process.getuid?.() ?? 0,
  gids: [process.getegid?.() ?? 0, ...(process.getgroups?.() ?? [])],
});

/**
 * Resolves `control.group` of the raw document against the group database. A daemon that is not
 * root may name only a group of its own (its primary group or one it is a member of): it could
 * not give its home and socket to another group (chown(2)).
 * @param own who resolves it: the daemon (or the CLI checking for it), by default this process
 * @returns the access (undefined: none), or the issues at `control.group`
 */
export function resolveControl(
  document: unknown,
  own: OwnGroups = ownGroups(),
  db?: UserDatabases,
): { control: ControlAccess | undefined; issues: PathIssue[] } {
  const raw = (document as { control?: { group?: unknown } } | null)?.control?.group;
  const isKey =
    (typeof raw === 'string' && raw !== '') ||
    (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0);
  if (!isKey) return { control: undefined, issues: [] }; // absent, or the schema says why
  const path = ['control', 'group'];
  const found = lookUpGroup(String(raw), db);
  if (found === undefined) {
    const message = `no group ${showValue(raw)} in the group database (group(5)); create it (groupadd) or fix the name`;
    return { control: undefined, issues: [{ path, target: 'value', message }] };
  }
  if (own.uid !== 0 && !own.gids.includes(found.gid)) {
    const message =
      `the daemon runs as uid ${own.uid}, which is not a member of group ${showValue(raw)}, ` +
      `so it cannot give its socket to that group; run the daemon as root, add its user to the ` +
      `group (then log in again), or remove "control"`;
    return { control: undefined, issues: [{ path, target: 'value', message }] };
  }
  return { control: { group: found.name, gid: found.gid }, issues: [] };
}
