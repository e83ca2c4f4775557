// Who a service runs as and with what privileges (`user`, `group`, `groups`, `umask`,
// `no_new_privileges`, `capabilities`; docs/config/user.md): the schema of the keys, and their
// resolution against the user databases, which the daemon must be root to use.
import * as z from 'zod';
import { CAPABILITY_NAMES, capabilityNumber } from '../effects/identity/capabilities.js';
import {
  groupsOf,
  lookUpGroup,
  lookUpUser,
  type UserDatabases,
} from '../effects/identity/users.js';
import { describeValue, showValue } from './issue-messages.js';
import { didYouMean } from './suggest.js';
import type { RunAs } from './types.js';
import type { PathIssue } from './zod-issues.js';

const account = (what: 'user' | 'group') =>
  z.union([z.string().regex(/^[^:\s]+$/), z.int().min(0)], {
    error: (issue) => `expected a ${what} name or number, got ${describeValue(issue.input)}`,
  });

/** The schema of the privilege keys of a service. */
export const privilegeShape = {
  user: account('user').optional().meta({
    description:
      'Run the instances as this user (name or uid), with its groups (initgroups(3)), HOME, USER, LOGNAME and SHELL. The daemon must run as root.',
  }),
  group: account('group').optional().meta({
    description: "Primary group (name or gid). Default: the user's primary group.",
  }),
  groups: z.array(account('group')).optional().meta({
    description: "Supplementary groups added to the user's own.",
  }),
  umask: z
    .string({
      error: (issue) =>
        typeof issue.input === 'number'
          ? `write the umask as a quoted string of octal digits, e.g. "027" (YAML reads 027 as the number 27)`
          : `expected a umask such as "027", got ${describeValue(issue.input)}`,
    })
    .regex(/^0?[0-7]{3}$/, {
      error: (issue) => `${showValue(issue.input)} is not a umask; use e.g. "027"`,
    })
    .transform((s) => parseInt(s, 8))
    .optional()
    .meta({ description: 'File mode creation mask (umask(2)), in octal: "027". Default "022".' }),
  no_new_privileges: z.boolean().prefault(false).meta({
    description:
      'Set PR_SET_NO_NEW_PRIVS: no exec can gain privileges (setuid programs, file capabilities). Default false.',
  }),
  capabilities: z
    .array(
      z.string().transform((name, ctx) => {
        const n = capabilityNumber(name);
        if (n !== undefined) return n;
        const hint = didYouMean(name.toUpperCase(), CAPABILITY_NAMES);
        ctx.addIssue({
          code: 'custom',
          message: `${showValue(name)} is not a capability (capabilities(7))${hint || '; use e.g. CAP_NET_BIND_SERVICE'}`,
        });
        return z.NEVER;
      }),
    )
    .optional()
    .meta({
      description:
        'Capabilities kept across the user change as ambient capabilities (capabilities(7)), e.g. [CAP_NET_BIND_SERVICE]. The daemon must run as root.',
    }),
};

/** The privilege keys that name accounts, and whether `capabilities` is set. */
export interface RawPrivileges {
  user?: string | number;
  group?: string | number;
  groups?: (string | number)[];
  capabilities?: unknown[];
}

const isAccount = (v: unknown): v is string | number =>
  (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isInteger(v) && v >= 0);

/**
 * The privilege keys of a service of the raw document (before the schema), those of a usable
 * type only: their lookups are reported even when other keys are wrong.
 */
export function rawPrivilegesOf(service: unknown): RawPrivileges {
  if (typeof service !== 'object' || service === null) return {};
  const s = service as Record<string, unknown>;
  return {
    ...(isAccount(s.user) ? { user: s.user } : {}),
    ...(isAccount(s.group) ? { group: s.group } : {}),
    ...(Array.isArray(s.groups) ? { groups: s.groups.filter(isAccount) } : {}),
    ...(Array.isArray(s.capabilities) ? { capabilities: s.capabilities } : {}),
  };
}

/**
 * Resolves a service's `user`, `group` and `groups` against the user databases.
 * @param uid the uid of the process that will start the service (the daemon's)
 * @returns who it runs as (null: as the daemon), or the issues, each at its key
 */
export function resolveRunAs(
  service: string,
  raw: RawPrivileges,
  uid: number = process.getuid?.() ?? 0,
  db?: UserDatabases,
): { runAs: RunAs | null; issues: PathIssue[] } {
  const at = (key: string, index?: number): PropertyKey[] =>
    index === undefined ? ['services', service, key] : ['services', service, key, index];
  const issues: PathIssue[] = [];
  const needsRoot = (['user', 'group', 'groups', 'capabilities'] as const).filter(
    (k) => raw[k] !== undefined,
  );
  if (needsRoot.length > 0 && uid !== 0) {
    for (const key of needsRoot)
      issues.push({
        path: at(key),
        target: 'key',
        message: `"${key}" needs root; the daemon runs as uid ${uid} (start it as root, or remove "${key}")`,
      });
    return { runAs: null, issues };
  }
  if (raw.user === undefined && raw.group === undefined && raw.groups === undefined)
    return { runAs: null, issues };
  const user = raw.user === undefined ? undefined : lookUpUser(String(raw.user), db);
  if (raw.user !== undefined && user === undefined)
    issues.push({
      path: at('user'),
      target: 'value',
      message: `no user ${showValue(raw.user)} in the user database (passwd(5)); create it (useradd) or fix the name`,
    });
  const gidOf = (key: string | number, path: PropertyKey[]): number | undefined => {
    const group = lookUpGroup(String(key), db);
    if (group === undefined)
      issues.push({
        path,
        target: 'value',
        message: `no group ${showValue(key)} in the group database (group(5)); create it (groupadd) or fix the name`,
      });
    return group?.gid;
  };
  const primary = raw.group === undefined ? user?.gid : gidOf(raw.group, at('group'));
  const extra = (raw.groups ?? []).map((g, i) => gidOf(g, at('groups', i)));
  if (issues.length > 0) return { runAs: null, issues };
  const gid = primary ?? 0;
  const own = user === undefined ? [gid] : groupsOf(user.name, user.gid, db);
  const groups = [...new Set([gid, ...own, ...extra.filter((g) => g !== undefined)])];
  return {
    runAs: {
      user: user?.name ?? null,
      uid: user?.uid ?? uid,
      gid,
      groups,
      home: user?.home ?? null,
      shell: user?.shell ?? null,
    },
    issues,
  };
}
