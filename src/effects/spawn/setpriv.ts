// A start with privileges (config `user`, `umask`...) without warden-spawner: the command is
// exec'd through setpriv(1) (util-linux), and through `sh -c 'umask ...'` for a umask (no tool
// but a shell sets one before an exec). Each helper execs the next and the last execs the
// command, so the pid warden started is the service's own. It costs an exec or two per start.
import { accessSync, constants } from 'node:fs';
import { CAPABILITY_NAMES } from '../identity/capabilities.js';
import type { SpawnPrivileges } from './privileges.js';
import { isWithheld } from './withheld-helpers.js';

/** Where util-linux installs setpriv(1): looked up here, not in the daemon's PATH. */
export const SETPRIV_PLACES: readonly string[] = [
  '/usr/bin/setpriv',
  '/bin/setpriv',
  '/usr/sbin/setpriv',
  '/sbin/setpriv',
];

/** The path of setpriv(1), or undefined when it is not installed (or withheld for a test). */
export function findSetpriv(): string | undefined {
  if (isWithheld('setpriv')) return undefined;
  return SETPRIV_PLACES.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when `p` changes more than the umask: the start needs setpriv(1). */
export function needsSetpriv(p: SpawnPrivileges): boolean {
  return p.uid !== undefined || p.noNewPrivileges || p.capabilities.length > 0;
}

/**
 * The setpriv(1) options that make a process what `p` says: real, effective and saved uid and
 * gid (`--reuid`, `--regid`), the groups as given (`--groups`: the primary one, the user's
 * groups of the group database as initgroups(3) finds them, and `groups`), `--no-new-privs`,
 * and the capabilities raised in the inheritable and ambient sets (capabilities(7): an ambient
 * capability must be permitted and inheritable; setpriv keeps the permitted ones across its
 * uid change with PR_SET_KEEPCAPS). setpriv(1) of util-linux 2.31 or later (`--ambient-caps`).
 * @returns the options, `--` last; empty when setpriv is not needed
 */
export function setprivOptions(p: SpawnPrivileges): string[] {
  if (!needsSetpriv(p)) return [];
  const options: string[] = [];
  if (p.uid !== undefined) options.push(`--reuid=${p.uid}`);
  if (p.gid !== undefined) options.push(`--regid=${p.gid}`);
  if (p.groups !== undefined)
    options.push(p.groups.length === 0 ? '--clear-groups' : `--groups=${p.groups.join(',')}`);
  if (p.noNewPrivileges) options.push('--no-new-privs');
  if (p.capabilities.length > 0) {
    // Names, not cap_N: libcap-ng of every setpriv knows them.
    const caps = p.capabilities
      .map((n) => `+${(CAPABILITY_NAMES[n] ?? `cap_${n}`).toLowerCase().replace(/^cap_/, '')}`)
      .join(',');
    options.push(`--inh-caps=${caps}`, `--ambient-caps=${caps}`);
  }
  return [...options, '--'];
}

/** The `umask NNN; ` that a sh script starts with to set `p.umask`; empty without one. */
export function umaskCommand(p: SpawnPrivileges): string {
  return p.umask === undefined ? '' : `umask ${p.umask.toString(8).padStart(3, '0')}; `;
}

/**
 * The argv that runs `argv` (argv[0] a path) as `p` says, for a start that exec's it: setpriv(1)
 * with its options when `p` needs it (setprivOptions), the command itself otherwise. The umask
 * is not in it: the caller's sh sets it (umaskCommand).
 * @throws Error with code ENOTSUP when `p` needs setpriv and it is not installed; `why` says
 * why warden-spawner could not do the start, and the message says both ways out
 */
export function setprivArgv(argv: readonly string[], p: SpawnPrivileges, why: string): string[] {
  if (!needsSetpriv(p)) return [...argv];
  const setpriv = findSetpriv();
  if (setpriv === undefined)
    throw Object.assign(
      new Error(
        `user, group, groups, no_new_privileges and capabilities need warden-spawner or setpriv(1): ` +
          `${why}, and there is no setpriv at ${SETPRIV_PLACES.join(', ')}; install a C compiler ` +
          `and rebuild warden (npm run build builds warden-spawner), or install util-linux ` +
          `(apt-get install util-linux; it has setpriv), then restart the service`,
      ),
      { code: 'ENOTSUP' },
    );
  return [setpriv, ...setprivOptions(p), ...argv];
}
