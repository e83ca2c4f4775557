// The measurements of `npm run bench`, each taken of warden and PM2 in the same run: restart
// latency, the supervisor's memory, bring-up, CLI latency, stop, and idle CPU.
import { runTimed, benchEnv } from './lib/command.js';
import type { Fleet } from './lib/fleet.js';
import { cpuOf, nowMs, rssOf, sleep, waitFor, type Started } from './lib/procs.js';
import { median } from './lib/stats.js';

/** The figures of one side (the keys are those of FIGURES in supervisors.ts). */
export type Figures = Record<string, number>;

/**
 * SIGKILLs the service of a one-service fleet `times` times, alternating between the two
 * fleets, and returns each side's latencies (ms): from the kill to the next instance's start.
 */
export async function restartLatency(
  fleets: readonly Fleet[],
  times: number,
  started: Started,
): Promise<number[][]> {
  const latencies: number[][] = fleets.map(() => []);
  for (let i = 0; i < times; i++) {
    for (const [f, fleet] of fleets.entries()) {
      await sleep(150); // long enough up for PM2 to count it stable (min_uptime 100 ms)
      const before = fleet.readStamps();
      const victim = before.at(-1);
      if (victim === undefined) throw new Error(`${fleet.contender.name}: no service started`);
      const killedAt = nowMs();
      process.kill(victim.pid, 'SIGKILL');
      const next = await waitFor(
        `${fleet.contender.name} to restart its service`,
        () => fleet.readStamps()[before.length],
        10_000,
        1,
      );
      started.add(next.pid);
      latencies[f]?.push(next.at - killedAt);
    }
  }
  return latencies;
}

/** RSS of the supervisor's own processes, in MB. */
export function supervisorMemory(fleet: Fleet): number {
  return fleet.own().reduce((sum, pid) => sum + rssOf(pid), 0) / 1e6;
}

/** The CLI commands timed by `cliLatency`, and the floor of any Node program. */
export const FLOOR = [process.execPath, '-e', '0'];

/**
 * Times `status --json` and `status` (jlist and ls for PM2) of each fleet `rounds` times,
 * interleaved with `node -e 0`, and returns the median ms of each command.
 */
export async function cliLatency(
  fleets: readonly Fleet[],
  rounds: number,
): Promise<{ floor: number; json: number[]; table: number[] }> {
  const floor: number[] = [];
  const json: number[][] = fleets.map(() => []);
  const table: number[][] = fleets.map(() => []);
  const env = benchEnv();
  for (let i = 0; i < rounds; i++) {
    floor.push((await runTimed(FLOOR, { env })).ms);
    for (const [f, { contender: c }] of fleets.entries()) {
      json[f]?.push((await runTimed(c.statusJson, { env: c.env })).ms);
      table[f]?.push((await runTimed(c.statusTable, { env: c.env })).ms);
    }
  }
  return { floor: median(floor), json: json.map(median), table: table.map(median) };
}

/** CPU of each fleet's supervisor over the same `seconds` of idleness, in % of one core. */
export async function idleCpu(fleets: readonly Fleet[], seconds: number): Promise<number[]> {
  const cpuNow = (fleet: Fleet): number =>
    fleet.own().reduce((sum, pid) => sum + (cpuOf(pid) || 0), 0);
  const before = fleets.map(cpuNow);
  await sleep(seconds * 1000);
  return fleets.map((fleet, i) => ((cpuNow(fleet) - (before[i] ?? 0)) / seconds) * 100);
}
