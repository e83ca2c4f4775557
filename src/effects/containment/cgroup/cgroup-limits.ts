// cgroup v2 limits of an instance's leaf (config `limits`: memory.max, memory.high, cpu.max,
// pids.max) and its OOM kills (memory.events), and the controllers they need, enabled in
// cgroup.subtree_control from the daemon's own cgroup down to the leaves' parent
// (Documentation/admin-guide/cgroup-v2.rst, "Controlling Controllers").
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LimitSpec } from '../../../config/types.js';
import { errnoOf } from '../../ffi/errno.js';

/** The controllers a limit needs. */
export type LimitController = 'memory' | 'cpu' | 'pids';

const CONTROLLERS: readonly LimitController[] = ['memory', 'cpu', 'pids'];

/** The period of cpu.max (µs): the kernel's default, 100 ms. */
export const CPU_PERIOD_USEC = 100_000;

/** Which controllers the leaves below a base can have, and why the others cannot. */
export interface ControllerSupport {
  /** Enabled for the leaves (in the base's cgroup.subtree_control). */
  enabled: Set<LimitController>;
  /** Why a controller cannot be enabled, by controller. */
  missing: Map<LimitController, string>;
}

function controllersOf(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * Enables memory, cpu and pids in cgroup.subtree_control of every cgroup from `top` (the
 * daemon's own cgroup) down to `base` (the parent of the leaves), top first: a
 * controller can be enabled in a cgroup only once its parent enabled it. A cgroup with processes
 * of its own refuses (EBUSY, "no internal processes"), as does one not delegated to us (EACCES);
 * a controller the hierarchy does not have (bound to a cgroup v1 hierarchy) is not offered.
 * @returns what the leaves can have, and why not the rest
 */
export function enableControllers(top: string, base: string): ControllerSupport {
  const support: ControllerSupport = { enabled: new Set(), missing: new Map() };
  const chain: string[] = [];
  for (let dir = base; dir.startsWith(top); dir = dirname(dir)) {
    chain.unshift(dir);
    if (dir === top) break;
  }
  for (const c of CONTROLLERS) {
    const why = enableAlong(chain, c);
    if (why === undefined) support.enabled.add(c);
    else support.missing.set(c, why);
  }
  return support;
}

// Enables `c` in each cgroup of `chain` (top first). @returns why not, or undefined when done
function enableAlong(chain: readonly string[], c: LimitController): string | undefined {
  for (const dir of chain) {
    if (!controllersOf(dir).includes(c)) {
      const v1 = controllersOf(dir).length === 0 ? '' : ' (a cgroup v1 hierarchy holds it?)';
      return `the ${c} controller is not in ${join(dir, 'cgroup.controllers')}${v1}`;
    }
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), `+${c}`);
    } catch (error) {
      const code = errnoOf(error) ?? String(error);
      const hint =
        code === 'EBUSY'
          ? ': processes live in it (cgroup v2 "no internal processes")'
          : code === 'EACCES' || code === 'EPERM'
            ? ': not delegated to this user'
            : '';
      return `cannot enable ${c} in ${join(dir, 'cgroup.subtree_control')}: ${code}${hint}`;
    }
  }
  return undefined;
}

/** The values of the limit files for `limits` ('max': none). */
function limitFiles(limits: LimitSpec): [string, string][] {
  const or = (v: number | null) => (v === null ? 'max' : String(v));
  const quota =
    limits.cpuCores === null ? 'max' : String(Math.round(limits.cpuCores * CPU_PERIOD_USEC));
  return [
    ['memory.max', or(limits.memoryBytes)],
    ['memory.high', or(limits.memoryHighBytes)],
    // The whole tree is killed on an OOM kill (systemd's OOMPolicy=stop): no half instance.
    ['memory.oom.group', limits.memoryBytes === null ? '0' : '1'],
    ['cpu.max', `${quota} ${CPU_PERIOD_USEC}`],
    ['pids.max', or(limits.pids)],
  ];
}

/**
 * Writes the limit files of the leaf `dir`; a file of a controller not enabled there is left
 * alone when its value is `max` (nothing to limit).
 * @returns an error message naming the file and errno, or undefined when done
 */
export function writeLimits(dir: string, limits: LimitSpec): string | undefined {
  for (const [file, value] of limitFiles(limits)) {
    try {
      writeFileSync(join(dir, file), value);
    } catch (error) {
      const code = errnoOf(error) ?? String(error);
      if (code === 'ENOENT' && (value === 'max' || value === '0' || value.startsWith('max ')))
        continue;
      return `cannot write ${value} to ${join(dir, file)}: ${code}`;
    }
  }
  return undefined;
}

/** The `oom_kill` count of memory.events in `dir`; 0 without the memory controller. */
export function oomKills(dir: string): number {
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, 'memory.events'), 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}
