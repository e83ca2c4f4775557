// What `up`, `reload` and `reload --dry-run` say about a config change.
import { print } from '../output.js';

/** The plan the daemon's `up` and `reload` carry out (src/runtime/reload-plan.ts). */
export interface ApplyPlan {
  added: string[];
  removed: string[];
  changed: string[];
  updated: string[];
  scaled: { service: string; from: number; to: number }[];
  unchanged: string[];
  restarted: string[];
}

/**
 * What the daemon's `up` answers; `warnings` (absent from older daemons): what may keep
 * instances from starting, such as an open files limit too low for the config.
 */
export type UpResult = ApplyPlan & { started: string[]; warnings?: string[] };

/** Prints a plan, one line per kind of change; `dryRun` words it as what would happen. */
export function printPlan(p: ApplyPlan, dryRun = false): void {
  const will = (done: string, todo: string): string => (dryRun ? todo : done);
  const lines: [string, string[]][] = [
    [will('added', 'would add and start'), p.added],
    [will('removed (stopped)', 'would stop and remove'), p.removed],
    [will('restarted', 'would restart'), p.restarted],
    [will('rescaled', 'would rescale'), p.scaled.map((s) => `${s.service} ${s.from} -> ${s.to}`)],
    [will('changed, applied live', 'would apply live'), p.updated],
  ];
  const changedIdle = p.changed.filter((n) => !p.restarted.some((i) => i.split(':')[0] === n));
  lines.push([will('changed, used at next start', 'changed, used at next start'), changedIdle]);
  if (dryRun) lines.push(['unchanged', p.unchanged]);
  for (const [what, names] of lines) {
    if (names.length > 0) print(`warden: ${what}: ${names.join(', ')}`);
  }
  if (lines.every(([, names]) => names.length === 0)) print('warden: no change');
}
