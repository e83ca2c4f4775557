// `warden ps [SERVICE...]`: the process tree of each instance, so a user sees what belongs to what.
import type { PsInstance, PsProcess } from '../../ipc/protocol.js';
import { withClient, type GlobalOptions } from '../context.js';
import { EXIT, paint, print } from '../output.js';
import { formatPercent } from './status.js';

function megabytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** Renders instances as indented trees: children under their parent, orphans under the instance. */
export function renderTrees(instances: PsInstance[]): string {
  const out: string[] = [];
  for (const i of instances) {
    const figures =
      i.tree === null || i.tree === undefined
        ? ''
        : `  cpu ${formatPercent(i.tree.cpuPercent)}  mem ${megabytes(i.tree.memoryBytes)}`;
    out.push(
      `${paint('bold', i.instance)}  ${i.state}${i.pid === null ? '' : `  pid ${i.pid}`}${figures}`,
    );
    const pids = new Set(i.processes.map((p) => p.pid));
    const children = new Map<number, PsProcess[]>();
    const roots: PsProcess[] = [];
    for (const p of i.processes) {
      if (pids.has(p.ppid) && p.pid !== i.pid)
        children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
      else roots.push(p);
    }
    const walk = (p: PsProcess, depth: number): void => {
      const orphan = depth === 0 && p.pid !== i.pid ? paint('dim', ' (reparented to warden)') : '';
      const rss = megabytes(p.rssBytes).padStart(9);
      const cpu = `${p.cpuSeconds.toFixed(2)}s`.padStart(9);
      out.push(
        `  ${String(p.pid).padStart(7)} ${rss} ${cpu}  ${'  '.repeat(depth)}${p.command}${orphan}`,
      );
      for (const c of children.get(p.pid) ?? []) walk(c, depth + 1);
    };
    roots.sort((a, b) => (a.pid === i.pid ? -1 : b.pid === i.pid ? 1 : a.pid - b.pid));
    for (const r of roots) walk(r, 0);
    // Older daemons send no `sockets`.
    for (const k of i.sockets ?? [])
      out.push(paint('dim', `  listen fd ${k.fd} ${k.name} ${k.bound}`));
    if (i.processes.length === 0) out.push(paint('dim', '  (no process)'));
  }
  return out.join('\n');
}

/** `warden ps [SERVICE...] [--json]` */
export async function ps(
  services: string[],
  options: GlobalOptions & { json?: boolean },
): Promise<number> {
  const r = await withClient(options, (c) => c.call('ps', { targets: services }));
  print(options.json === true ? JSON.stringify(r) : renderTrees(r));
  return EXIT.ok;
}
