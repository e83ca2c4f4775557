// Figures in words for the page: durations, bytes, CPU, exits.
import type { LastExit } from './wire.js';

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** `512 KB`, `12.3 MB`, `1.20 GB` (powers of 1000). */
export function bytes(n: number): string {
  if (n < 1e6) return `${Math.round(n / 1e3)} KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** `3.2 %` of one core, or `–` before there are two samples. */
export function cpu(percent: number | null): string {
  return percent === null ? '–' : `${percent.toFixed(1)} %`;
}

/** `exit code 1`, `SIGKILL (core dumped)`, `spawn ENOENT: /bin/nope`... */
export function lastExit(exit: LastExit): string {
  if ('code' in exit) return `exit code ${exit.code}`;
  if ('signal' in exit) {
    if (exit.oom === true) return `${exit.signal}: OOM kill`;
    return exit.coreDumped ? `${exit.signal} (core dumped)` : `killed by ${exit.signal}`;
  }
  if ('spawnError' in exit) return `spawn ${exit.spawnError}: ${exit.path}`;
  return `exit unknown: ${exit.unknown}`;
}
