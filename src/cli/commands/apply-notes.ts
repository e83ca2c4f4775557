// What `up`, `reload` and `reload --dry-run` say about a config change.
import type { ApplyPlan } from '../../ipc/protocol.js';
import { print } from '../output.js';

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
