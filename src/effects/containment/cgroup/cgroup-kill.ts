// cgroup.kill (Linux 5.14): one write SIGKILLs a whole cgroup. What it leaves behind is a start
// concern (CgroupStarter.killed).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** SIGKILLs every process in the cgroup directory `cgroup`, forks in flight included. */
export function killCgroup(cgroup: string): void {
  try {
    writeFileSync(join(cgroup, 'cgroup.kill'), '1');
  } catch {
    // ENOENT: the cgroup is gone, and what was in it
  }
}
