// Dropping root for a daemon: supplementary groups, then the gid, then the uid (the order that
// keeps each step permitted; setgroups(2), setgid(2), setuid(2)).
import { lookUpUser } from '../effects/identity/users.js';
import { DaemonizeError, stepFailed } from './errors.js';

/** Node's POSIX-only credential calls (absent on Windows, and from @types/node in part). */
interface PosixCredentials {
  initgroups(user: string, extraGroup: string | number): void;
  setgroups(groups: (string | number)[]): void;
  setgid(id: string | number): void;
  setuid(id: string | number): void;
}

function posix(): PosixCredentials {
  const p = process as unknown as Partial<PosixCredentials>;
  if (p.initgroups && p.setgroups && p.setgid && p.setuid) return p as PosixCredentials;
  throw new DaemonizeError('ENOSYS', 'this platform cannot switch users');
}

function credentialError(what: string, error: unknown, unknownCode: string): DaemonizeError {
  const isUnknown =
    error instanceof Error && 'code' in error && error.code === 'ERR_UNKNOWN_CREDENTIAL';
  if (isUnknown) return new DaemonizeError(unknownCode, `${what}: no such one`, { cause: error });
  return stepFailed(`cannot switch to ${what}`, error);
}

/**
 * Switches to `user` and/or `group` (names or numeric ids; users looked up as config `user` is,
 * effects/identity/users.ts). With a user: its groups from the group database plus `group` (default: the user's primary group) as supplementary groups, `group`
 * as gid, then the user's uid. With only a group: that group alone, and the gid.
 * @throws DaemonizeError UNKNOWN_USER, UNKNOWN_GROUP, or EPERM when not root
 */
export function dropPrivileges(user?: string | number, group?: string | number): void {
  if (user === undefined && group === undefined) return;
  const account = user === undefined ? undefined : lookUpUser(String(user));
  if (
    user !== undefined &&
    account === undefined &&
    (typeof user === 'string' || group === undefined)
  ) {
    throw new DaemonizeError(
      'UNKNOWN_USER',
      `user ${user} is not in the user database (passwd(5))`,
    );
  }
  const gid = group ?? account?.gid;
  const calls = posix();
  try {
    if (account !== undefined && gid !== undefined) calls.initgroups(account.name, gid);
    else if (gid !== undefined) calls.setgroups([gid]);
  } catch (error) {
    throw credentialError(`the groups of ${user ?? group}`, error, 'UNKNOWN_GROUP');
  }
  try {
    if (gid !== undefined) calls.setgid(gid);
  } catch (error) {
    throw credentialError(`group ${gid}`, error, 'UNKNOWN_GROUP');
  }
  try {
    if (user !== undefined) calls.setuid(account?.uid ?? user);
  } catch (error) {
    throw credentialError(`user ${user}`, error, 'UNKNOWN_USER');
  }
}
