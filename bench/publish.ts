// What `npm run bench` leaves behind: the table on stdout, bench/results.json, and the generated
// part of docs/benchmarks.md (the table, the machine, the date and the command).
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  describeMachine,
  renderTable,
  writeGenerated,
  writeJson,
  type Summary,
} from './lib/report.js';
import { formatSpread, spreadOf } from './lib/stats.js';

const RESULTS = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const PM2_PACKAGE = fileURLToPath(new URL('../../node_modules/pm2/package.json', import.meta.url));

/** Raw values kept besides the per-run figures. */
export interface Extras {
  /** `node -e 0`, median of each CLI round. */
  floorMs: number[];
  /** Every kill's restart latency. */
  restartMs: { warden: number[]; pm2: number[] };
  /** warden's containment mode on this machine (cgroup or process-group). */
  containment: string;
}

/** The options of the run, as the report states them; `docs` is where to write, if anywhere. */
export interface RunOptions {
  runs: number;
  restarts: number;
  rounds: number;
  idleSeconds: number;
  docs: string | undefined;
}

export async function publish(
  summaries: Summary[],
  extras: Extras,
  options: RunOptions,
): Promise<void> {
  const machine = describeMachine(PM2_PACKAGE);
  const date = new Date().toISOString();
  const command = ['npm run bench', ...process.argv.slice(2)].join(' ');
  const table = renderTable(summaries);
  const floor = spreadOf(extras.floorMs);
  const json = summaries.find((s) => s.def.key === 'status.json.50');
  const lines = [table, ''];
  if (extras.floorMs.length > 0) {
    lines.push(
      `\`node -e 0\`, the floor of any Node CLI: ${formatSpread(floor, 1)} ms (median of each round's median).`,
    );
  }
  if (json !== undefined) {
    const times = (ms: number): string => (ms / floor.median).toFixed(2);
    lines.push(
      `\`warden status --json\` with 50 services: ${times(json.warden.median)} × the floor; \`pm2 jlist\`: ${times(json.pm2.median)} ×.`,
    );
  }
  const kills = (name: 'warden' | 'pm2'): string =>
    formatSpread(spreadOf(extras.restartMs[name]), 1);
  if (extras.restartMs.warden.length > 0) {
    lines.push(
      `Every kill (${extras.restartMs.warden.length} each): warden ${kills('warden')} ms, PM2 ${kills('pm2')} ms.`,
    );
  }
  console.log(`\n${lines.join('\n')}`);
  await writeJson(RESULTS, { date, command, machine, options, extras, figures: summaries });
  console.log(`\nwrote ${RESULTS}`);
  if (options.docs === undefined) return;
  const about = [
    `${date.slice(0, 10)}, \`${command}\` (${options.runs} runs; ${options.restarts} kills a run; ${options.rounds} CLI rounds a run; ${options.idleSeconds} s idle).`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node}, PM2 ${machine.pm2}; warden containment: ${extras.containment || 'unknown'}.`,
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} (the machine is shared).`,
    'Each cell: median over the runs, range in brackets; the ratio is taken within each run.',
  ];
  await writeGenerated(options.docs, [...about, '', ...lines].join('\n'));
  console.log(`wrote ${options.docs}`);
}
