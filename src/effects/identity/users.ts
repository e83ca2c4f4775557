// The user and group databases (passwd(5), group(5)): who a service runs as. Read from
// /etc/passwd and /etc/group first; a name they lack is asked of NSS through getent(1), so users
// from LDAP, sssd or systemd-homed are found as login(1) finds them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One passwd(5) entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  /** The primary group. */
  gid: number;
  home: string;
  shell: string;
}

/** One group(5) entry. */
export interface GroupEntry {
  name: string;
  gid: number;
  /** Its supplementary members, by user name. */
  members: string[];
}

/** Where the databases are read from; tests point them at their own files. */
export interface UserDatabases {
  passwd: string;
  group: string;
  /** Asks NSS when the files lack an entry (getent(1)); false in tests. */
  nss: boolean;
}

const SYSTEM: UserDatabases = { passwd: '/etc/passwd', group: '/etc/group', nss: true };

// The colon-separated lines of a database file ([] when unreadable).
function rows(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

// One line of `getent DATABASE KEY`, split; undefined when NSS knows no such key.
function getent(database: 'passwd' | 'group', key: string): string[] | undefined {
  try {
    const out = execFileSync('getent', [database, key], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.split('\n')[0]?.split(':');
  } catch {
    return undefined; // exit 2: not found; or no getent
  }
}

// Whether `key` (a name, or a number given as digits) names the row's name or id field.
function matches(row: string[], key: string, idField: number): boolean {
  return row[0] === key || (/^\d+$/.test(key) && row[idField] === key);
}

function toPasswd(row: string[]): PasswdEntry | undefined {
  const [name = '', , uid = '', gid = '', , home = '/', shell = '/bin/sh'] = row;
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home, shell: shell || '/bin/sh' };
}

function toGroup(row: string[]): GroupEntry | undefined {
  const [name = '', , gid = '', members = ''] = row;
  if (!/^\d+$/.test(gid)) return undefined;
  return { name, gid: Number(gid), members: members.split(',').filter((m) => m !== '') };
}

/**
 * The passwd entry of user `key`: a name, or a uid given as digits.
 * @returns undefined when no database knows it
 */
export function lookUpUser(key: string, db: UserDatabases = SYSTEM): PasswdEntry | undefined {
  const row = rows(db.passwd).find((r) => matches(r, key, 2));
  const found = row ?? (db.nss ? getent('passwd', key) : undefined);
  return found === undefined ? undefined : toPasswd(found);
}

/**
 * The group entry of group `key`: a name, or a gid given as digits.
 * @returns undefined when no database knows it
 */
export function lookUpGroup(key: string, db: UserDatabases = SYSTEM): GroupEntry | undefined {
  const row = rows(db.group).find((r) => matches(r, key, 2));
  const found = row ?? (db.nss ? getent('group', key) : undefined);
  return found === undefined ? undefined : toGroup(found);
}

/**
 * The supplementary groups of user `name` as initgroups(3) sets them: `primary` first, then every
 * group of group(5) that lists the user as a member, each gid once.
 */
export function groupsOf(name: string, primary: number, db: UserDatabases = SYSTEM): number[] {
  const gids = [primary];
  for (const row of rows(db.group)) {
    const group = toGroup(row);
    if (group?.members.includes(name) === true && !gids.includes(group.gid)) gids.push(group.gid);
  }
  return gids;
}
