// `npm run bench:scrape`: what one `GET /metrics` costs the daemon against one `status --json`,
// on the same fleet of 1000 instances (one service, `instances: 1000`, `sleep`), in the same run
// (issue 19: a scrape costs no more than a `status --json`). The cost is the daemon's CPU time
// (utime + stime of /proc/PID/stat) over --calls calls of each, less what it spent idle over the
// same wall time (measured before each round), divided by the calls. Rounds alternate the two, so
// both see the same machine. Prints each round and the median per call; temp home; the daemon is
// stopped with `warden down`, and every process it started SIGKILLed by pid if one is left.
// Usage: npm run bench:scrape -- [--instances 1000] [--calls 20] [--rounds 3]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusReport } from '../src/core/status.js';
import { numberArg } from './lib/args.js';
import { runTimed } from './lib/command.js';
import { WARDEN, warden } from './lib/contenders.js';
import { cpuOf, Started } from './lib/procs.js';
import { median } from './lib/stats.js';

const instances = numberArg('instances', 1000);
const calls = numberArg('calls', 20);
const rounds = numberArg('rounds', 3);
const IDLE_MS = 3000;

const dir = mkdtempSync(join(tmpdir(), 'warden-bench-scrape-'));
const contender = warden(dir);
const env = contender.env;
const started = new Started();
const cli = (...args: string[]) =>
  runTimed([process.execPath, WARDEN, ...args], { env, cwd: dir, timeoutMs: 600_000 });

// The daemon's CPU time (ms) spent by `work`, less its idle rate over the same time.
async function costOf(pid: number, idlePerMs: number, work: () => Promise<void>): Promise<number> {
  const cpu0 = cpuOf(pid);
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  return ((cpuOf(pid) - cpu0) * 1000 - idlePerMs * wall) / calls;
}

// A port free on 127.0.0.1 now: bound to port 0, then released.
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

async function main(): Promise<void> {
  const port = await freePort();
  writeFileSync(
    join(dir, 'warden.yaml'),
    `http:\n  listen: 127.0.0.1:${port}\n  read: open\nservices:\n  fleet:\n` +
      `    command: [sleep, "2147483647"]\n    instances: ${instances}\n    min_uptime: 0\n`,
  );
  process.stderr.write(`starting ${instances} instances...\n`);
  await cli('up', '--wait', '--timeout', '600s');
  const pid = contender.daemonPid();
  if (pid === undefined) throw new Error('no daemon pid');
  started.add(pid);
  const report = JSON.parse((await cli('status', '--json')).stdout) as StatusReport;
  for (const i of report.instances) started.add(i.pid ?? 0);

  let statusBytes = 0;
  let scrapeBytes = 0;
  const status = async () => {
    for (let i = 0; i < calls; i++) statusBytes = (await cli('status', '--json')).stdout.length;
  };
  const scrape = async () => {
    for (let i = 0; i < calls; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      scrapeBytes = (await r.text()).length;
    }
  };
  await scrape(); // the first scrape observes every instance and warms the code up
  const figures = { status: [] as number[], scrape: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    const cpu0 = cpuOf(pid);
    await sleep(IDLE_MS);
    const idlePerMs = ((cpuOf(pid) - cpu0) * 1000) / IDLE_MS;
    const order =
      round % 2 === 1 ? (['status', 'scrape'] as const) : (['scrape', 'status'] as const);
    for (const what of order)
      figures[what].push(await costOf(pid, idlePerMs, what === 'status' ? status : scrape));
    const [st, sc] = [figures.status.at(-1) ?? NaN, figures.scrape.at(-1) ?? NaN];
    process.stderr.write(
      `round ${round}: status --json ${st.toFixed(1)} ms, scrape ${sc.toFixed(1)} ms (idle ${(idlePerMs * 1000).toFixed(1)} ms/s)\n`,
    );
  }
  const st = median(figures.status);
  const sc = median(figures.scrape);
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
  console.log(`daemon CPU per call, ${instances} instances, ${calls} calls x ${rounds} rounds:`);
  console.log(
    `  status --json  ${st.toFixed(1)} ms (${range(figures.status)})  ${(statusBytes / 1024).toFixed(0)} KB`,
  );
  console.log(
    `  GET /metrics   ${sc.toFixed(1)} ms (${range(figures.scrape)})  ${(scrapeBytes / 1024).toFixed(0)} KB`,
  );
  console.log(`  scrape / status: ${(sc / st).toFixed(2)}`);
}

try {
  await main();
} finally {
  await cli('down').catch(() => undefined);
  started.killAll();
  rmSync(dir, { recursive: true, force: true });
}
