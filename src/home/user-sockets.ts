// Where a root daemon puts the notify sockets of services running as other users: under /run
// (FHS: run-time data), outside the home, which stays closed to those users.
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The parent of every home's per-user socket directory. */
export const RUNTIME_ROOT = '/run/warden';

/**
 * The per-user socket directory of the daemon of `home` (an absolute path):
 * `/run/warden/<first 16 hex digits of the SHA-256 of the path>`, the same for every daemon of
 * that home, so that instances adopted after a daemon restart still reach theirs.
 */
export function userSocketDir(home: string): string {
  return join(RUNTIME_ROOT, createHash('sha256').update(home).digest('hex').slice(0, 16));
}
