// The daemon's own leaf: under a delegated cgroup (systemd's Delegate=yes) where the daemon runs
// alone, it moves itself into a leaf beside its instances' cgroups, because cgroup v2 enables a
// controller for a cgroup's children only while no process lives in the cgroup itself ("no
// internal processes", Documentation/admin-guide/cgroup-v2.rst).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoOf } from '../../ffi/errno.js';
import { cgroup2Mount, ownCgroup, removeCgroup } from './cgroup.js';

/** Where the daemon went. */
export interface OwnLeaf {
  /** Its leaf (absolute, under the mount). */
  leaf: string;
  /** The cgroup it left (absolute), where its instances' cgroups go. */
  from: string;
  /** The same, as /proc/self/cgroup names it (relative to the mount). */
  own: string;
}

// Pids in `dir`'s cgroup.procs (the processes of that cgroup itself, not of its children).
function procsOf(dir: string): number[] {
  return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

/**
 * Moves this process from its cgroup v2 into a new child `name` of it when it is the only
 * process there (the fork server and instances, started later, are not yet). Else, or when the
 * cgroup refuses (not delegated to us: EACCES; threaded: EOPNOTSUPP), changes nothing.
 * @returns the move, or why there was none
 */
export function enterOwnLeaf(name: string): OwnLeaf | { why: string } {
  const mount = cgroup2Mount();
  const own = ownCgroup();
  if (mount === undefined || own === undefined) return { why: 'no cgroup v2' };
  const from = join(mount, own);
  const leaf = join(from, name);
  try {
    const others = procsOf(from).filter((pid) => pid !== process.pid);
    if (others.length > 0) return { why: `${others.length} other processes share ${from}` };
    mkdirSync(leaf, { recursive: true });
    // Writing a pid moves the whole process, every thread with it.
    writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid));
    return { leaf, from, own };
  } catch (error) {
    removeCgroup(leaf);
    return { why: `cannot move into ${leaf}: ${errnoOf(error) ?? String(error)}` };
  }
}

/** Moves this process back to the cgroup it came from and removes its leaf (at exit). */
export function leaveOwnLeaf(self: OwnLeaf): void {
  try {
    writeFileSync(join(self.from, 'cgroup.procs'), String(process.pid));
    removeCgroup(self.leaf);
  } catch {
    // The leaf stays; the owner of the delegated cgroup (systemd) removes it with the unit's.
  }
}
