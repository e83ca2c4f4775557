// `control.group` applied to the home (docs/config/control.md): for the group's members to reach
// the socket, the home becomes 0710 and the socket 0660, both of that group; nothing else in the
// home changes (state.json, warden.key, warden.log 0600; logs/ 0700).
import { chmodSync, lchownSync } from 'node:fs';
import type { ControlAccess } from '../config/types.js';
import type { HomePaths } from '../home/paths.js';

/**
 * Gives the home and its socket to `control`'s group, or takes them back (undefined): the home
 * 0700 and the socket 0600 again, of the daemon's own group. Closing comes first, so a removed
 * group loses the way in before anything else changes. Connections already open stay open.
 * @throws a Node fs error (EPERM: a daemon not root naming a group it is not in, EROFS...)
 */
export function applyControlAccess(home: HomePaths, control: ControlAccess | undefined): void {
  const uid = process.getuid?.() ?? 0;
  if (control === undefined) {
    chmodSync(home.home, 0o700);
    chmodSync(home.socket, 0o600);
    const own = process.getegid?.() ?? 0;
    lchownSync(home.home, uid, own);
    lchownSync(home.socket, uid, own);
    return;
  }
  lchownSync(home.socket, uid, control.gid);
  chmodSync(home.socket, 0o660);
  lchownSync(home.home, uid, control.gid);
  chmodSync(home.home, 0o710);
}

/**
 * Gives the home and socket to the group of `control` (or takes them back) when it changed: a
 * config without it, before and after, touches nothing. A failure is logged; the config stays.
 */
export function syncControl(
  ctx: { home: HomePaths; log: (line: string) => void },
  before: ControlAccess | undefined,
  after: ControlAccess | undefined,
): void {
  if (before === undefined && after === undefined) return;
  try {
    applyControlAccess(ctx.home, after);
    if (before?.gid !== after?.gid)
      ctx.log(
        after === undefined
          ? 'control.group removed: the home is 0700 and the socket 0600 again'
          : `control.group ${after.group}: its members may use the socket (home 0710, socket 0660)`,
      );
  } catch (error) {
    ctx.log(`control.group: cannot set the home's group and modes: ${String(error)}`);
  }
}
