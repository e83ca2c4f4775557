// What a leaf cgroup tells of its processes beyond membership (Documentation/admin-guide/
// cgroup-v2.rst): CPU time (cpu.stat, always there), the memory peak (memory.peak, with the
// memory controller, Linux 5.19+) and pressure stall information (cpu.pressure,
// memory.pressure; Documentation/accounting/psi.rst, with CONFIG_PSI and not `psi=0`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TreeFigures } from '../../../core/status.js';

/** CPU time of every process that ran in the cgroup since it was made (s): `usage_usec`. */
export function cpuUsageSeconds(path: string): number | undefined {
  const text = readOrUndefined(join(path, 'cpu.stat'));
  const match = text === undefined ? null : /^usage_usec (\d+)$/m.exec(text);
  return match === null ? undefined : Number(match[1]) / 1e6;
}

/** memory.peak in bytes; undefined without the memory controller (or before Linux 5.19). */
export function memoryPeak(path: string): number | undefined {
  const text = readOrUndefined(join(path, 'memory.peak'));
  return text === undefined ? undefined : Number(text);
}

/** `some avg10` of cpu.pressure and memory.pressure (%); undefined without PSI. */
export function pressure(path: string): TreeFigures['pressure'] | undefined {
  const cpu = someAvg10(readOrUndefined(join(path, 'cpu.pressure')));
  const memory = someAvg10(readOrUndefined(join(path, 'memory.pressure')));
  if (cpu === undefined || memory === undefined) return undefined;
  return { cpuPercent: cpu, memoryPercent: memory };
}

// `some avg10=1.23 avg60=...` -> 1.23
function someAvg10(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^some avg10=([\d.]+)/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}

// ENOENT (no such controller or no PSI), EOPNOTSUPP (psi=0), or the cgroup is gone.
function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
