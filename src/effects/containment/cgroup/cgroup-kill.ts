// cgroup.kill, and what it leaves behind. On Linux 6.18 (seen here), once cgroup.kill was
// written, every process later cloned into that cgroup with CLONE_INTO_CGROUP is SIGKILLed at
// birth (a process moved in through cgroup.procs is not); a cgroup made anew is clean. So a
// killed leaf is made anew before its next start (CgroupTree.prepare).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const killed = new Set<string>();

/** SIGKILLs every process in the cgroup directory `cgroup`, forks in flight included. */
export function killCgroup(cgroup: string): void {
  killed.add(cgroup);
  try {
    writeFileSync(join(cgroup, 'cgroup.kill'), '1');
  } catch {
    // ENOENT: the cgroup is gone, and what was in it
  }
}

/** True once for a cgroup killed since the last call: it must be made anew before a start. */
export function takeKilled(cgroup: string): boolean {
  return killed.delete(cgroup);
}
