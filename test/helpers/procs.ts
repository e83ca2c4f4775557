// Process facts for tests: zombies of a parent, and pids of a home's daemon.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroup2Mount, ownCgroup } from '../../src/effects/containment/cgroup/cgroup.js';

/** Zombie children of `parent` now (state Z in /proc/PID/stat). */
export function zombieChildren(parent: number): number[] {
  const zombies: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' && Number(f[1]) === parent) zombies.push(Number(name));
    } catch {
      // gone
    }
  }
  return zombies;
}

/** The daemon pid written in a home's pid file. */
export function daemonPidOf(home: string): number {
  return Number(readFileSync(join(home, 'warden.pid'), 'utf8').trim());
}

/** The cgroup a daemon of `home` would create (src/effects/containment/containment.ts), when cgroup2 is mounted. */
export function wardenCgroupOf(home: string): string | undefined {
  const mount = cgroup2Mount();
  const own = ownCgroup();
  if (mount === undefined || own === undefined) return undefined;
  return join(mount, own, `warden-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`);
}

/** Fields of /proc/PID/stat after the command name (state is index 0), or undefined once gone. */
export function statOf(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while `pid` names a live process (a zombie counts as dead). */
export function isAlive(pid: number): boolean {
  const f = statOf(pid);
  return f !== undefined && f[0] !== 'Z';
}

/** The cgroup v2 directory (absolute) of live process `pid`, or undefined. */
export function cgroupOf(pid: number): string | undefined {
  const mount = cgroup2Mount();
  try {
    const own = ownCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    return mount === undefined || own === undefined ? undefined : join(mount, own);
  } catch {
    return undefined;
  }
}

/**
 * Why a test of cgroup limits cannot run here: not root, or cgroup v2 lacks one of `controllers`
 * in this process's cgroup (bound to a v1 hierarchy, or not delegated); undefined when it can.
 */
export function v2ControllersMissing(controllers: readonly string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'cgroup limits need root';
  const dir = cgroupOf(process.pid);
  if (dir === undefined) return 'no cgroup v2';
  const have = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  const missing = controllers.filter((c) => !have.includes(c));
  return missing.length === 0
    ? undefined
    : `cgroup v2 has no ${missing.join(', ')} controller in ${dir} (a cgroup v1 hierarchy holds it?)`;
}

/**
 * Removes the cgroups a daemon of `home` made, its `warden-ID` tree and its `warden-ID-daemon`
 * leaf, once their processes are gone: a daemon that stops cleanly removes them itself, but
 * after a test killed it (or `down --keep-services`) nobody would, and they would pile up under
 * the test's cgroup. A process still in them (one that left its home's environment behind) is
 * SIGKILLed: only the test's own daemon put it there.
 * @throws Error naming the cgroups still busy after `deadlineMs` (ms)
 */
export async function removeHomeCgroups(home: string, deadlineMs = 10_000): Promise<void> {
  const root = wardenCgroupOf(home);
  if (root === undefined) return;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const left = [root, `${root}-daemon`].flatMap(deepestFirst).filter((dir) => !removed(dir));
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`cgroups of ${home} still busy: ${left.join(', ')}`);
    await sleep(50);
  }
}

// `dir` and the cgroups under it, children before their parents; none if it is gone.
function deepestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  let children: string[] = [];
  try {
    children = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => deepestFirst(join(dir, e.name)));
  } catch {
    // removed meanwhile
  }
  return [...children, dir];
}

// Tries to remove the empty cgroup `dir`, killing what is still in it; true once it is gone.
function removed(dir: string): boolean {
  try {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n'))
      if (pid !== '') kill(Number(pid));
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
