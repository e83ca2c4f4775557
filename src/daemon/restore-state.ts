// state.json at the daemon's start and end: what an earlier daemon left is taken back, and a
// full stop leaves nothing to take back.
import { renameSync, unlinkSync } from 'node:fs';
import type { Supervisor } from '../runtime/supervisor/supervisor.js';
import { readState } from './state-file.js';

/** Takes back what the daemon before this one left running (state.json at `path`), if anything. */
export async function restoreState(
  supervisor: Supervisor,
  path: string,
  logLine: (line: string) => void,
): Promise<void> {
  const read = await readState(path);
  if (read.kind === 'none') return;
  if (read.kind === 'corrupt') {
    const kept = `${path}.corrupt`;
    try {
      renameSync(path, kept);
    } catch {
      // the next save replaces it anyway
    }
    logLine(
      `state.json unusable (${read.why}); kept as ${kept}; what runs is taken back from the system itself when the config is applied`,
    );
    return;
  }
  const { state } = read;
  const outcomes = supervisor.restore(state.config, state.services);
  const count = (o: string): number => outcomes.filter((x) => x.outcome === o).length;
  logLine(
    `state.json of daemon ${state.daemonPid} (warden ${state.warden}): adopted ${count('adopted')}, ` +
      `gone while no daemon ran ${count('lost')}, restored without a process ${count('restored')}, ` +
      `left alone ${count('left-alone')}`,
  );
  for (const o of outcomes) if (o.outcome === 'left-alone') logLine(`${o.instance}: left alone`);
}

/** Removes state.json at `path`: after a full stop nothing is left to take back. */
export function removeState(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // ENOENT: never written
  }
}
