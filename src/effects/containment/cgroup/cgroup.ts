// cgroup v2 (Documentation/admin-guide/cgroup-v2.rst): finding a usable hierarchy, and the leaf
// cgroup of one instance (its processes, cgroup.kill, cgroup.events, memory).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupStarter } from './cgroup-start.js';
import { errnoOf } from '../../ffi/errno.js';

// A 1 ms synchronous pause (Atomics.wait on a private cell), for the start-up probe only.
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Where warden's cgroups live: `base` is an absolute path under the cgroup2 mount. */
export interface CgroupBase {
  mount: string;
  base: string;
}

/** The outcome of detection: a usable base, or why cgroups cannot be used. */
export type CgroupDetection = { ok: true; cgroup: CgroupBase } | { ok: false; reason: string };

/** The cgroup2 mount point, from /proc/self/mountinfo (proc(5)); undefined when none. */
export function cgroup2Mount(
  mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'),
): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ') === true) return left?.split(' ')[4];
  }
  return undefined;
}

/** This process's cgroup v2 path (the `0::PATH` line of /proc/self/cgroup). */
export function ownCgroup(text = readFileSync('/proc/self/cgroup', 'utf8')): string | undefined {
  return text
    .split('\n')
    .find((l) => l.startsWith('0::'))
    ?.slice(3);
}

/**
 * Finds out whether warden can contain instances in cgroups: a cgroup2 mount, our own cgroup in
 * it, a writable base `name` below it (created), `cgroup.kill` (Linux 5.14), and one short-lived
 * process started in a probe cgroup by `starter`, as instances will be. Leaves the base in place
 * on success. `own`: the cgroup below which the base goes (default this process's).
 */
export function detectCgroup(
  name: string,
  starter: CgroupStarter,
  own = ownCgroup(),
): CgroupDetection {
  const mount = cgroup2Mount();
  if (mount === undefined) return { ok: false, reason: 'no cgroup2 file system is mounted' };
  if (own === undefined) return { ok: false, reason: 'this process has no cgroup v2 path' };
  const base = join(mount, own, name);
  const probe = join(base, `probe-${process.pid}`);
  try {
    mkdirSync(probe, { recursive: true });
  } catch (error) {
    return { ok: false, reason: `cannot create ${probe}: ${errnoOf(error) ?? String(error)}` };
  }
  try {
    if (!existsSync(join(probe, 'cgroup.kill')))
      return { ok: false, reason: 'no cgroup.kill (Linux < 5.14)' };
    // The same start as an instance's (cgroup-start.ts), so it is tested as it will be used.
    const seen = starter.run(probe, ['/bin/cat', '/proc/self/cgroup']);
    const path = typeof seen === 'string' ? ownCgroup(seen) : undefined;
    if (path === undefined || !probe.endsWith(path)) {
      const why = typeof seen === 'string' ? seen.trim() || 'it wrote nothing' : seen.message;
      return { ok: false, reason: `cannot start a process in ${probe}: ${why}` };
    }
  } finally {
    // Its output ended before it did: give it a moment to leave, so that rmdir finds it empty.
    const leaf = new CgroupLeaf(probe);
    const deadline = Date.now() + 200;
    while (leaf.isPopulated() && Date.now() < deadline) Atomics.wait(PAUSE, 0, 0, 1);
    removeCgroup(probe);
  }
  return { ok: true, cgroup: { mount, base } };
}

/**
 * Removes `base` and every cgroup below it, deepest first, retrying EBUSY (a process that was
 * just killed can keep a cgroup busy for a moment) for up to `patienceMs`.
 * @returns the paths that could not be removed
 */
export async function removeCgroupTree(base: string, patienceMs = 2000): Promise<string[]> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const left = cgroupDirs(base).filter((dir) => !tryRmdir(dir));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Every cgroup directory from `base` down, deepest first.
function cgroupDirs(base: string): string[] {
  let children: string[];
  try {
    children = readdirSync(base, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(base, e.name));
  } catch {
    return [];
  }
  return [...children.flatMap(cgroupDirs), base];
}

function tryRmdir(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    return errnoOf(error) === 'ENOENT';
  }
}

/** Removes an empty cgroup directory; ignores ENOENT and EBUSY (still populated). */
export function removeCgroup(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // ENOENT: already gone; EBUSY: processes or children remain, so it must stay.
  }
}

/** One instance's leaf cgroup. */
export class CgroupLeaf {
  /** False once memory.current was found missing (no memory controller here): not asked again. */
  #hasMemory = true;

  constructor(readonly path: string) {}

  /** Creates the directory (it may exist). @throws with `code` (EACCES, ENOSPC...) */
  create(): void {
    mkdirSync(this.path, { recursive: true });
    this.#hasMemory = true;
  }

  /** Pids of its processes now (cgroup.procs); [] when the cgroup is gone. */
  procs(): number[] {
    try {
      return readFileSync(join(this.path, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(Number);
    } catch {
      return [];
    }
  }

  /** True while any process lives in it (cgroup.events `populated 1`). */
  isPopulated(): boolean {
    try {
      return readFileSync(join(this.path, 'cgroup.events'), 'utf8').includes('populated 1');
    } catch {
      return false;
    }
  }

  /**
   * memory.current in bytes, when the memory controller is enabled here. Its absence is
   * remembered until the next create(): a failed open costs more than the read (`status` asks
   * for every instance).
   */
  memoryCurrent(): number | undefined {
    if (!this.#hasMemory) return undefined;
    try {
      return Number(readFileSync(join(this.path, 'memory.current'), 'utf8'));
    } catch {
      this.#hasMemory = false;
      return undefined;
    }
  }

  /** Removes the cgroup if it is empty. */
  remove(): void {
    removeCgroup(this.path);
  }
}
