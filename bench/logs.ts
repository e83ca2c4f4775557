// `npm run bench:logs`: one service writes MB megabytes of 100-byte lines as fast as it can;
// the same writer's output goes, side by side in one run, into `cat > file` (the ceiling),
// into warden (timestamps, tags, rotation on) and into PM2 (from npm, its defaults: no
// timestamps). For each: MB/s from the writer's start until every line is in the files, the
// CPU seconds of the receiving process (cat, the warden daemon, the PM2 daemon), and a check of
// the line count and order. Temp dirs, a temp WARDEN_HOME and PM2_HOME; every process it
// starts is stopped by pid. `cat` reads a socket pair (what Node's 'pipe' stdio makes), which
// is as fast as warden's 1 MiB pipe or faster: the ceiling is not lowered by the transport.
// With --runs N, the three run N times in turn and the ratios are summarised (median, range):
// the machine's noise is large, so only ratios within one run compare.
// Usage: npm run bench:logs -- [--mb 200] [--block 4096] [--runs 1] [--only cat,warden,pm2]
import { execFileSync, spawn } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectControl } from '../src/ipc/client.js';
import type { StatusReport } from '../src/core/status.js';
import { isSelected, numberArg, onlyArg } from './lib/args.js';
import { PM2, WARDEN } from './lib/contenders.js';
import { cpuOf, sleep, Started } from './lib/procs.js';
import { formatSpread, spreadOf } from './lib/stats.js';

const WRITER = fileURLToPath(new URL('./writer.js', import.meta.url));
const LINE = 100;

/** What one contender gave. */
interface Result {
  name: string;
  seconds: number;
  /** From the writer's start to its last write (it waits whenever the pipe is full). */
  writerSeconds: number;
  cpuSeconds: number;
  lines: number;
  isInOrder: boolean;
  note: string;
}

const megabytes = numberArg('mb', 200);
const block = numberArg('block', 4096);
const runs = numberArg('runs', 1);
const only = onlyArg();
const isIn = (name: string): boolean => isSelected(only, name);
const count = Math.round((megabytes * 1e6) / LINE);
const root = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const started = new Started();
/** The temp dir of the current run (removed after it: 600 MB per run). */
let runDir = root;

// Resolves with the time `files` reached `bytes`, or the time they last grew if they stopped
// growing for 3 s short of it (lines were lost: the check below tells).
async function filled(files: () => string[], bytes: number): Promise<number> {
  let size = -1;
  let changedAt = Date.now();
  for (;;) {
    const now = sizeOf(files());
    if (now !== size) {
      size = now;
      changedAt = Date.now();
    }
    if (size >= bytes) return changedAt;
    if (Date.now() - changedAt > 3000) return changedAt;
    await sleep(5);
  }
}

function sizeOf(files: string[]): number {
  return files.reduce((n, f) => {
    try {
      return n + statSync(f).size;
    } catch {
      return n;
    }
  }, 0);
}

/**
 * Reads `files` in order and checks that they hold the writer's lines 0..count-1, each once and
 * in order, after a prefix ending in `| ` (warden) or none (cat, PM2).
 */
function verify(files: string[]): { lines: number; isInOrder: boolean } {
  let expected = 0;
  let isInOrder = true;
  let carry = Buffer.alloc(0);
  const buf = Buffer.alloc(4 * 1024 * 1024);
  const check = (line: Buffer): void => {
    const bar = line.indexOf(' | ');
    const payload = line.length === LINE - 1 ? line : line.subarray(bar + 3);
    if (payload.length !== LINE - 1 || Number(payload.toString('latin1', 0, 10)) !== expected)
      isInOrder = false;
    expected++;
  };
  for (const file of files) {
    const fd = openSync(file, 'r');
    for (let got = readSync(fd, buf); got > 0; got = readSync(fd, buf)) {
      const data =
        carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, got)]) : buf.subarray(0, got);
      let s = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, s)) {
        check(data.subarray(s, nl));
        s = nl + 1;
      }
      carry = Buffer.from(data.subarray(s));
    }
    closeSync(fd);
  }
  return { lines: expected, isInOrder: isInOrder && expected === count };
}

function writerArgs(startFile: string): string[] {
  return [WRITER, String(count), String(block), startFile];
}

/** The writer's start and end times (ms since the epoch), from its START_FILE. */
function writerTimes(file: string): { start: number; writerSeconds: number } {
  const [start = NaN, end = NaN] = readFileSync(file, 'utf8').split(' ').map(Number);
  return { start, writerSeconds: (end - start) / 1000 };
}

async function runCat(): Promise<Result> {
  const dir = join(runDir, 'cat');
  execFileSync('mkdir', ['-p', dir]);
  const out = join(dir, 'out.log');
  const startFile = join(dir, 'start');
  // `times` prints the CPU time of the shell's children (cat) when it is done.
  const sh = spawn('sh', ['-c', 'cat > "$1"; times >&2', 'sh', out], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  started.add(sh.pid ?? 0);
  let times = '';
  sh.stderr.on('data', (d: Buffer) => (times += d.toString()));
  const writer = spawn(process.execPath, writerArgs(startFile), {
    stdio: ['ignore', sh.stdin, 'inherit'],
  });
  started.add(writer.pid ?? 0);
  sh.stdin.destroy();
  await new Promise((r) => sh.once('exit', r));
  const end = Date.now();
  const child = /\n\s*(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(times);
  const cpu =
    child === null
      ? NaN
      : Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4]);
  const { start, writerSeconds } = writerTimes(startFile);
  return {
    name: 'cat > file',
    seconds: (end - start) / 1000,
    writerSeconds,
    cpuSeconds: cpu,
    ...verify([out]),
    note: 'the ceiling',
  };
}

async function runWarden(): Promise<Result> {
  const dir = join(runDir, 'warden');
  const home = join(dir, 'home');
  execFileSync('mkdir', ['-p', dir]);
  const startFile = join(dir, 'start');
  const args = writerArgs(startFile)
    .map((a) => JSON.stringify(a))
    .join(', ');
  // Rotation on, as by default, with room for every line so that all can be checked.
  writeFileSync(
    join(dir, 'warden.yaml'),
    `logs: { max_size: 10MB, keep: ${Math.ceil((count * 140) / 10e6) + 2} }
services:
  idle: { command: exec sleep 100000 }
  bench:
    command: [${JSON.stringify(process.execPath)}, ${args}]
    restart: never
`,
  );
  const env = { ...process.env, WARDEN_HOME: home };
  execFileSync(WARDEN, ['up', 'idle'], { cwd: dir, env });
  const status = (): StatusReport =>
    JSON.parse(execFileSync(WARDEN, ['status', '--json'], { env }).toString()) as StatusReport;
  const daemon = status().daemon.pid;
  started.add(daemon);
  try {
    const logDir = join(home, 'logs');
    const files = (): string[] =>
      readdirSync(logDir)
        .filter((n) => n.startsWith('bench.log'))
        .map((n) => join(logDir, n))
        .sort((a, b) => rank(b) - rank(a));
    const cpu0 = cpuOf(daemon);
    // Status round trips during the flood: the event loop's answer time to other clients.
    const client = await connectControl(join(home, 'warden.sock'));
    let worst = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const t = performance.now();
        await client.call('status', {});
        worst = Math.max(worst, performance.now() - t);
        await sleep(20);
      }
    })();
    await client.call('start', { targets: ['bench'] });
    const expected = count * (LINE + ' bench out | '.length + 24);
    const end = await filled(files, expected);
    const cpu = cpuOf(daemon) - cpu0;
    polling = false;
    await poll;
    client.close();
    const dropped = status().instances.find((i) => i.service === 'bench')?.logs.droppedLines ?? -1;
    const { start, writerSeconds } = writerTimes(startFile);
    return {
      name: 'warden',
      seconds: (end - start) / 1000,
      writerSeconds,
      cpuSeconds: cpu,
      ...verify(files()),
      note: `rotated into ${files().length} files, ${dropped} dropped, status answered within ${worst.toFixed(0)} ms at worst`,
    };
  } finally {
    execFileSync(WARDEN, ['down'], { env });
  }
}

function rank(path: string): number {
  const m = /\.log\.(\d+)$/.exec(path);
  return m === null ? 0 : Number(m[1]);
}

async function runPm2(): Promise<Result> {
  const dir = join(runDir, 'pm2');
  const pm2Home = join(dir, 'pm2-home');
  execFileSync('mkdir', ['-p', pm2Home]);
  const env = { ...process.env, PM2_HOME: pm2Home, PM2_DISABLE_VERSION_CHECK: 'true' };
  const pm2 = (...args: string[]): string =>
    execFileSync(process.execPath, [PM2, ...args], { env, cwd: dir }).toString();
  pm2('ping'); // starts the PM2 daemon
  const daemon = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8'));
  started.add(daemon);
  const out = join(dir, 'out.log');
  const startFile = join(dir, 'start');
  try {
    const cpu0 = cpuOf(daemon);
    pm2(
      'start',
      WRITER,
      '--name',
      'bench',
      '--no-autorestart',
      '-o',
      out,
      '-e',
      join(dir, 'err.log'),
      '--',
      ...writerArgs(startFile).slice(1),
    );
    const end = await filled(() => [out], count * LINE);
    const cpu = cpuOf(daemon) - cpu0;
    const { start, writerSeconds } = writerTimes(startFile);
    return {
      name: 'PM2',
      seconds: (end - start) / 1000,
      writerSeconds,
      cpuSeconds: cpu,
      ...verify([out]),
      note: 'PM2 defaults: no timestamps',
    };
  } finally {
    try {
      pm2('kill');
    } catch {
      // stopped below by pid
    }
  }
}

const mbps = (r: Result): number => megabytes / r.seconds;

function report(results: Result[]): void {
  const cat = results.find((r) => r.name === 'cat > file');
  const ofCat = (r: Result): string =>
    cat === undefined ? '     -' : ((100 * mbps(r)) / mbps(cat)).toFixed(0).padStart(6);
  console.log(
    `\n${count} lines of ${LINE} bytes (${megabytes} MB), written in ${block}-byte blocks, ${new Date().toISOString()}\n`,
  );
  console.log('contender    MB/s    % of cat   CPU s   CPU ms/MB   writer s   lines      in order');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(11)} ${mbps(r).toFixed(1).padStart(6)}  ${ofCat(r)} %  ${r.cpuSeconds.toFixed(2).padStart(6)}  ${((1000 * r.cpuSeconds) / megabytes).toFixed(2).padStart(9)}   ${r.writerSeconds.toFixed(2).padStart(8)}   ${String(r.lines).padStart(8)}   ${r.isInOrder ? 'yes' : 'NO'}   ${r.note}`,
    );
  }
  const warden = results.find((r) => r.name === 'warden');
  const pm2 = results.find((r) => r.name === 'PM2');
  if (warden !== undefined && cat !== undefined)
    console.log(`\nwarden / cat throughput: ${ofCat(warden).trim()} % (target >= 80 %)`);
  if (warden !== undefined && pm2 !== undefined) {
    console.log(
      `warden / PM2 daemon CPU per MB: ${(warden.cpuSeconds / pm2.cpuSeconds).toFixed(2)} (target < 1)`,
    );
    console.log(`warden / PM2 throughput: ${(mbps(warden) / mbps(pm2)).toFixed(2)}`);
  }
}

// Median and range of one ratio over the runs.
function spread(name: string, values: number[], unit: string): void {
  if (values.length === 0) return;
  const s = formatSpread(spreadOf(values), unit === '%' ? 0 : 2);
  console.log(`${name}: median (range) ${s}${unit} (${values.join(' ')})`);
}

function summary(all: Result[][]): void {
  const pick = (r: Result[], name: string): Result | undefined => r.find((x) => x.name === name);
  const ratio = (a: string, b: string, f: (x: Result, y: Result) => number): number[] =>
    all.flatMap((r) => {
      const x = pick(r, a);
      const y = pick(r, b);
      return x === undefined || y === undefined ? [] : [Number(f(x, y).toFixed(2))];
    });
  console.log(`\nover ${all.length} runs:`);
  const pct = (x: Result, y: Result): number => Math.round((100 * mbps(x)) / mbps(y));
  spread('warden % of cat', ratio('warden', 'cat > file', pct), '%');
  spread('PM2 % of cat', ratio('PM2', 'cat > file', pct), '%');
  spread(
    'warden / PM2 daemon CPU per MB',
    ratio('warden', 'PM2', (x, y) => x.cpuSeconds / y.cpuSeconds),
    '',
  );
  spread(
    'warden MB/s',
    all.flatMap((r) => (pick(r, 'warden') ? [Math.round(mbps(pick(r, 'warden') as Result))] : [])),
    '',
  );
}

// Ends whatever this run started that still lives (by pid), then removes the temp dirs.
function cleanup(): void {
  started.killAll();
  rmSync(root, { recursive: true, force: true });
}

try {
  const all: Result[][] = [];
  for (let run = 1; run <= runs; run++) {
    runDir = join(root, String(run));
    const results: Result[] = [];
    if (isIn('cat')) results.push(await runCat());
    if (isIn('warden')) results.push(await runWarden());
    if (isIn('pm2')) results.push(await runPm2());
    rmSync(runDir, { recursive: true, force: true });
    report(results);
    all.push(results);
  }
  if (runs > 1) summary(all);
  process.exitCode = all.flat().every((r) => r.isInOrder) ? 0 : 1;
} finally {
  cleanup();
}
