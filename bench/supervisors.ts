// `npm run bench`: warden and PM2 side by side, in one run, on what a supervisor costs: restart
// latency, the supervisor's own memory, bring-up, CLI latency, stop, and idle CPU at scale. The
// machine is noisy, so each figure is a ratio warden / PM2 taken within the same run, over
// several runs: median and range. Temp homes (WARDEN_HOME, PM2_HOME) under a temp dir; every
// daemon is stopped (`warden down`, `pm2 kill`) and every process started is then SIGKILLed by
// pid if it still lives. Prints a table, writes bench/results.json and, on a full run (no
// --only), the generated part of docs/benchmarks.md. Progress goes to stderr.
// Usage: npm run bench -- [--runs 3] [--only restart,memory,bringup,status,stop,scale,linear]
//        [--restarts 20] [--rounds 10] [--idle 30]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '../src/core/status.js';
import { isSelected, numberArg, onlyArg } from './lib/args.js';
import { runTimed } from './lib/command.js';
import { pm2, warden, type Contender } from './lib/contenders.js';
import { Fleet } from './lib/fleet.js';
import { Started } from './lib/procs.js';
import { Results, type FigureDef } from './lib/report.js';
import { median } from './lib/stats.js';
import { cliLatency, idleCpu, restartLatency, supervisorMemory } from './scenarios.js';
import { publish, type Extras } from './publish.js';

// key, label, unit, decimals, and the target: at most this ratio warden / PM2.
type Row = [string, string, string, number, number?];
const ROWS: Row[] = [
  ['restart', 'restart latency: SIGKILL to next start', 'ms', 1, 0.5],
  ['memory.1', 'supervisor RSS, 1 service', 'MB', 1],
  ['memory.50', 'supervisor RSS, 50 services', 'MB', 1],
  ['memory.200', 'supervisor RSS, 200 services', 'MB', 1, 0.6],
  ['bringup.spawned', 'bring-up of 200: to all spawned', 'ms', 0, 0.5],
  ['bringup.running', 'bring-up of 200: to all running', 'ms', 0, 0.5],
  ['status.json.50', 'status --json vs jlist, 50 services', 'ms', 1, 0.4],
  ['status.json.200', 'status --json vs jlist, 200 services', 'ms', 1, 0.4],
  ['status.table.50', 'status vs ls, 50 services', 'ms', 1, 0.4],
  ['status.table.200', 'status vs ls, 200 services', 'ms', 1, 0.4],
  ['stop', 'stop of 200: down to no service left', 'ms', 0],
  ['scale.bringup', '1000 services: bring-up to all running', 'ms', 0],
  ['scale.memory', '1000 services: supervisor RSS', 'MB', 1],
  ['scale.status', '1000 services: status --json vs jlist', 'ms', 1],
  ['linear.1000', 'warden alone, bring-up of 1000 to all running', 'ms', 0],
  ['linear.5000', 'warden alone, bring-up of 5000 to all running', 'ms', 0],
];
const FIGURES: FigureDef[] = [
  ...ROWS.map(([key, label, unit, digits, ratioMax]) => ({ key, label, unit, digits, ratioMax })),
  // The one absolute target: under 1 % of one core.
  {
    key: 'scale.idle',
    label: '1000 services: CPU while idle',
    unit: '% of a core',
    digits: 2,
    wardenMax: 1,
  },
  // Linear growth: 5 times the services within 6 times the time.
  {
    key: 'linear.ratio',
    label: 'warden alone, bring-up of 5000 / of 1000',
    unit: 'x',
    digits: 2,
    wardenMax: 6,
  },
];

const SCENARIOS = ['restart', 'memory', 'bringup', 'status', 'stop', 'scale', 'linear'];
/** The fleet sizes of the linear scenario, smaller first. */
const LINEAR_SIZES = [1000, 5000] as const;
const runs = numberArg('runs', 3);
const restarts = numberArg('restarts', 20);
const rounds = numberArg('rounds', 10);
const idleSeconds = numberArg('idle', 30);
const only = onlyArg();
for (const name of only ?? []) {
  if (!SCENARIOS.includes(name))
    throw new Error(`--only: no scenario ${name} (${SCENARIOS.join(', ')})`);
}
const is = (name: string): boolean => isSelected(only, name);

/** Which fleet sizes the selected scenarios need. */
const sizes = [
  ...(is('restart') || is('memory') ? [1] : []),
  ...(is('memory') || is('status') ? [50] : []),
  ...(is('memory') || is('bringup') || is('status') || is('stop') ? [200] : []),
  ...(is('scale') ? [1000] : []),
];

const root = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const started = new Started();
const fleets: Fleet[] = [];
const results = new Results(FIGURES);
const extras: Extras = { floorMs: [], restartMs: { warden: [], pm2: [] }, containment: '' };
const t0 = Date.now();

function progress(text: string): void {
  const s = Math.round((Date.now() - t0) / 1000);
  process.stderr.write(
    `[bench ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}] ${text}\n`,
  );
}

const side = (c: Contender): 'warden' | 'pm2' => (c.name === 'warden' ? 'warden' : 'pm2');

// One fleet size in one run: both supervisors up (in `order`), every selected measurement, down.
async function measureSize(run: number, size: number, order: Contender[]): Promise<void> {
  const pair = order.map((c) => new Fleet(c, size, started));
  fleets.push(...pair);
  const record = (key: string, fleet: Fleet, value: number): void =>
    results.record(key, side(fleet.contender), run, value);
  for (const fleet of pair) {
    progress(`run ${run + 1}/${runs}, ${size} services: ${fleet.contender.name} up`);
    const up = await fleet.up();
    if (fleet.contender.name === 'warden' && extras.containment === '')
      extras.containment = await containmentOf(fleet.contender);
    if (size === 200 && is('bringup')) {
      record('bringup.spawned', fleet, up.spawnedMs);
      record('bringup.running', fleet, up.runningMs);
    }
    if (size === 1000) record('scale.bringup', fleet, up.runningMs);
  }
  await new Promise((r) => setTimeout(r, 2000)); // settle: start-up garbage collected, timers idle
  for (const fleet of pair) {
    if (is('memory') && size <= 200) record(`memory.${size}`, fleet, supervisorMemory(fleet));
    if (size === 1000) record('scale.memory', fleet, supervisorMemory(fleet));
  }
  if (size === 1 && is('restart')) {
    progress(`run ${run + 1}/${runs}: restart latency, ${restarts} kills each`);
    const latencies = await restartLatency(pair, restarts, started);
    pair.forEach((fleet, i) => {
      const ms = latencies[i] ?? [];
      extras.restartMs[side(fleet.contender)].push(...ms);
      record('restart', fleet, median(ms));
    });
  }
  if ((size === 50 || size === 200) && is('status')) {
    progress(`run ${run + 1}/${runs}, ${size} services: CLI latency, ${rounds} rounds`);
    const cli = await cliLatency(pair, rounds);
    extras.floorMs.push(cli.floor);
    pair.forEach((fleet, i) => {
      record(`status.json.${size}`, fleet, cli.json[i] ?? NaN);
      record(`status.table.${size}`, fleet, cli.table[i] ?? NaN);
    });
  }
  if (size === 1000) {
    progress(`run ${run + 1}/${runs}, 1000 services: CLI latency, then ${idleSeconds} s idle`);
    const cli = await cliLatency(pair, Math.ceil(rounds / 2));
    extras.floorMs.push(cli.floor);
    pair.forEach((fleet, i) => record('scale.status', fleet, cli.json[i] ?? NaN));
    const cpu = await idleCpu(pair, idleSeconds);
    pair.forEach((fleet, i) => record('scale.idle', fleet, cpu[i] ?? NaN));
  }
  for (const fleet of pair) {
    progress(`run ${run + 1}/${runs}, ${size} services: ${fleet.contender.name} down`);
    // warden always goes down by itself (it removes its cgroups); PM2's kill of 1000 services
    // takes minutes and is not measured, so its processes are ended by pid instead.
    if (size === 1000 && fleet.contender.name === 'PM2') fleet.kill();
    else {
      const down = await fleet.down();
      if (size === 200 && is('stop')) record('stop', fleet, down.goneMs);
    }
  }
}

// Bring-up time against fleet size, warden alone (PM2 takes minutes for 5000): each size from
// cold, timed to all running, then taken down; and the ratio of the two, which linear growth
// keeps near 5.
async function measureLinear(run: number): Promise<void> {
  const times: number[] = [];
  for (const size of LINEAR_SIZES) {
    const fleet = new Fleet(warden(join(root, String(run), `linear-${size}`)), size, started);
    fleets.push(fleet);
    progress(`run ${run + 1}/${runs}, ${size} services: warden alone up`);
    const up = await fleet.up();
    results.record(`linear.${size}`, 'warden', run, up.runningMs);
    times.push(up.runningMs);
    progress(`run ${run + 1}/${runs}, ${size} services: warden alone down`);
    await fleet.down();
  }
  const [small = NaN, large = NaN] = times;
  results.record('linear.ratio', 'warden', run, large / small);
}

async function containmentOf(c: Contender): Promise<string> {
  const ran = await runTimed(c.statusJson, { env: c.env });
  return (JSON.parse(ran.stdout) as StatusReport).daemon.containment;
}

async function cleanup(): Promise<void> {
  for (const fleet of fleets) await fleet.ensureDown();
  started.killAll();
  rmSync(root, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  progress(`${runs} run(s) of ${sizes.join(', ')} services; temp dir ${root}`);
  for (let run = 0; run < runs; run++) {
    for (const size of sizes) {
      const dir = join(root, String(run), String(size));
      // Alternate who goes first, so that neither always meets a warmer or colder machine.
      const both = [warden(join(dir, 'warden')), pm2(join(dir, 'pm2'))];
      await measureSize(run, size, run % 2 === 0 ? both : both.reverse());
    }
    if (is('linear')) await measureLinear(run);
  }
  const docs =
    only === undefined
      ? fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url))
      : undefined;
  await publish(results.summaries(), extras, { runs, restarts, rounds, idleSeconds, docs });
} finally {
  await cleanup();
}
