// `npm run bench:cluster`: 4 instances of one small Node HTTP server on one port, under load on
// loopback, through a restart: warden (`listen:`, the socket held by warden) with
// `restart --rolling` and a plain `restart`, against PM2's cluster mode with `pm2 reload` (its
// graceful reload) and `pm2 restart`, in the same run. For each: requests served, failed
// connections by error, p99 latency while the restart runs, and how long the restart took. Temp
// homes; every daemon is stopped and every process left is SIGKILLed by pid.
// Usage: npm run bench:cluster -- [--runs 3] [--concurrency 32]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { numberArg } from './lib/args.js';
import { benchEnv, runTimed } from './lib/command.js';
import { PM2, WARDEN } from './lib/contenders.js';
import { sleep } from './lib/procs.js';
import { percentile, startLoad, type LoadResult } from './cluster/load.js';
import { PM2_SERVER, serverSource } from './cluster/server.js';

const RUNS = numberArg('runs', 3);
const CONCURRENCY = numberArg('concurrency', 32);
/** Load before the restart, and after it returned (ms). */
const MARGIN_MS = 1000;
const LIB = pathToFileURL(join(WARDEN, '..', '..', 'dist', 'src', 'lib', 'index.js')).href;

interface Figure {
  what: string;
  served: number;
  errors: Record<string, number>;
  p99Ms: number;
  restartMs: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

// Runs `argv` without blocking this process's event loop, where the load runs meanwhile.
async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runTimed(argv, { env, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
}

// Loads `port` across `restart` (a command), MARGIN_MS each side.
async function measure(what: string, port: number, restart: () => Promise<void>): Promise<Figure> {
  const load = startLoad(port, CONCURRENCY);
  await sleep(MARGIN_MS);
  const began = performance.now();
  await restart();
  const restartMs = performance.now() - began;
  await sleep(MARGIN_MS);
  const seen: LoadResult = await load.stop();
  return {
    what,
    served: seen.served,
    errors: seen.errors,
    p99Ms: percentile(seen.latenciesMs, 99),
    restartMs,
  };
}

async function answers(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const seen = await (async () => {
      const load = startLoad(port, 1);
      await sleep(20);
      return load.stop();
    })();
    if (seen.served > 0 && Object.keys(seen.errors).length === 0) return;
    await sleep(50);
  }
  throw new Error(`nothing answers on 127.0.0.1:${port}`);
}

async function wardenRound(dir: string): Promise<Figure[]> {
  const port = await freePort();
  const env = benchEnv({ WARDEN_HOME: join(dir, 'warden-home') });
  writeFileSync(join(dir, 'server.mjs'), serverSource(LIB));
  const config = join(dir, 'warden.yaml');
  writeFileSync(
    config,
    [
      'services:',
      '  web:',
      `    command: [${JSON.stringify(process.execPath)}, server.mjs]`,
      `    cwd: ${JSON.stringify(dir)}`,
      '    instances: 4',
      `    listen: ['127.0.0.1:${port}']`,
      '    ready: { notify: true }',
      '',
    ].join('\n'),
  );
  const cli = (...args: string[]): Promise<void> => run([process.execPath, WARDEN, ...args], env);
  try {
    await cli('up', '--wait', '-f', config);
    await answers(port);
    return [
      await measure('warden restart --rolling', port, () => cli('restart', '--rolling', 'web')),
      await measure('warden restart', port, () => cli('restart', 'web')),
    ];
  } finally {
    spawnSync(process.execPath, [WARDEN, 'down'], { env });
  }
}

async function pm2Round(dir: string): Promise<Figure[]> {
  const port = await freePort();
  const env = benchEnv({
    PM2_HOME: join(dir, 'pm2-home'),
    PM2_DISABLE_VERSION_CHECK: 'true',
    PORT: String(port),
  });
  writeFileSync(join(dir, 'server.cjs'), PM2_SERVER);
  const cli = (...args: string[]): Promise<void> => run([process.execPath, PM2, ...args], env);
  try {
    await cli(
      'start',
      join(dir, 'server.cjs'),
      '--name',
      'web',
      '-i',
      '4',
      '--wait-ready',
      '--listen-timeout',
      '10000',
      '--kill-timeout',
      '10000',
    );
    await answers(port);
    return [
      await measure('pm2 reload (cluster)', port, () => cli('reload', 'web')),
      await measure('pm2 restart (cluster)', port, () => cli('restart', 'web')),
    ];
  } finally {
    spawnSync(process.execPath, [PM2, 'kill'], { env });
  }
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  if (entries.length === 0) return '0';
  const total = entries.reduce((n, [, c]) => n + c, 0);
  return `${total} (${entries.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

const rows: Figure[][] = [];
for (let i = 1; i <= RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-cluster-'));
  try {
    process.stderr.write(`run ${i}/${RUNS}: warden\n`);
    const w = await wardenRound(dir);
    process.stderr.write(`run ${i}/${RUNS}: PM2\n`);
    const p = await pm2Round(dir);
    rows.push([...w, ...p]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `4 instances on one port, ${CONCURRENCY} concurrent requests on new connections, ${MARGIN_MS} ms of load each side of the restart; ${RUNS} runs`,
);
console.log(
  '| restart | run | served | served per s | failed connections | p99 latency | restart took |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const byWhat = new Map<string, Figure[]>();
for (const run of rows) for (const f of run) byWhat.set(f.what, [...(byWhat.get(f.what) ?? []), f]);
for (const [what, figures] of byWhat)
  figures.forEach((f, i) =>
    console.log(
      `| ${what} | ${i + 1} | ${f.served} | ${(f.served / ((2 * MARGIN_MS + f.restartMs) / 1000)).toFixed(0)} | ${errorsText(f.errors)} | ${f.p99Ms.toFixed(1)} ms | ${f.restartMs.toFixed(0)} ms |`,
    ),
  );
