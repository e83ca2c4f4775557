// `npm run bench:logs`: one service writes MB megabytes of 100-byte lines as fast as it can;
// the same writer's output goes, side by side in one run, into `cat > file` (the ceiling),
// into warden (timestamps, tags, rotation on) and into PM2 (from npm, its defaults: no
// timestamps). For each: MB/s from the writer's start until every line is in the files, the
// CPU seconds of the receiving process (cat, the warden daemon, the PM2 daemon), and a check of
// the line count and order. Temp dirs, a temp WARDEN_HOME and PM2_HOME; every process it
// starts is stopped by pid. Usage: npm run bench:logs -- [--mb 200] [--block 4096]
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WARDEN = join(ROOT, 'bin', 'warden');
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const WRITER = join(ROOT, 'dist', 'bench', 'writer.js');
const LINE = 100;
const TICKS = 100; // clock ticks per second of /proc/PID/stat (USER_HZ)

/** What one contender gave. */
interface Result {
  name: string;
  seconds: number;
  cpuSeconds: number;
  lines: number;
  isInOrder: boolean;
  note: string;
}

function argOf(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const megabytes = argOf('mb', 200);
const block = argOf('block', 4096);
const count = Math.round((megabytes * 1e6) / LINE);
const root = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const started: number[] = [];

/** utime + stime of a live process, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

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

function startedAt(file: string): number {
  return Number(readFileSync(file, 'utf8'));
}

async function runCat(): Promise<Result> {
  const dir = join(root, 'cat');
  execFileSync('mkdir', ['-p', dir]);
  const out = join(dir, 'out.log');
  const startFile = join(dir, 'start');
  // `times` prints the CPU time of the shell's children (cat) when it is done.
  const sh = spawn('sh', ['-c', 'cat > "$1"; times >&2', 'sh', out], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  started.push(sh.pid ?? 0);
  let times = '';
  sh.stderr.on('data', (d: Buffer) => (times += d.toString()));
  const writer = spawn(process.execPath, writerArgs(startFile), {
    stdio: ['ignore', sh.stdin, 'inherit'],
  });
  started.push(writer.pid ?? 0);
  sh.stdin.destroy();
  await new Promise((r) => sh.once('exit', r));
  const end = Date.now();
  const child = /\n\s*(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(times);
  const cpu =
    child === null
      ? NaN
      : Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4]);
  const seconds = (end - startedAt(startFile)) / 1000;
  return { name: 'cat > file', seconds, cpuSeconds: cpu, ...verify([out]), note: 'the ceiling' };
}

async function runWarden(): Promise<Result> {
  const dir = join(root, 'warden');
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
  started.push(daemon);
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
    const seconds = (end - startedAt(startFile)) / 1000;
    return {
      name: 'warden',
      seconds,
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
  const dir = join(root, 'pm2');
  const pm2Home = join(dir, 'pm2-home');
  execFileSync('mkdir', ['-p', pm2Home]);
  const env = { ...process.env, PM2_HOME: pm2Home, PM2_DISABLE_VERSION_CHECK: 'true' };
  const pm2 = (...args: string[]): string =>
    execFileSync(process.execPath, [PM2, ...args], { env, cwd: dir }).toString();
  pm2('ping'); // starts the PM2 daemon
  const daemon = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8'));
  started.push(daemon);
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
    const seconds = (end - startedAt(startFile)) / 1000;
    return {
      name: 'PM2',
      seconds,
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

function report(results: Result[]): void {
  const cat = results[0] as Result;
  const mbps = (r: Result): number => megabytes / r.seconds;
  console.log(
    `\n${count} lines of ${LINE} bytes (${megabytes} MB), written in ${block}-byte blocks, ${new Date().toISOString()}\n`,
  );
  console.log('contender    MB/s    % of cat   CPU s   CPU ms/MB   lines      in order');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(11)} ${mbps(r).toFixed(1).padStart(6)}  ${((100 * mbps(r)) / mbps(cat)).toFixed(0).padStart(6)} %  ${r.cpuSeconds.toFixed(2).padStart(6)}  ${((1000 * r.cpuSeconds) / megabytes).toFixed(2).padStart(9)}   ${String(r.lines).padStart(8)}   ${r.isInOrder ? 'yes' : 'NO'}   ${r.note}`,
    );
  }
  const warden = results.find((r) => r.name === 'warden');
  const pm2 = results.find((r) => r.name === 'PM2');
  if (warden !== undefined && pm2 !== undefined) {
    console.log(
      `\nwarden / cat throughput: ${((100 * mbps(warden)) / mbps(cat)).toFixed(0)} % (target >= 80 %)`,
    );
    console.log(
      `warden / PM2 daemon CPU per MB: ${(warden.cpuSeconds / pm2.cpuSeconds).toFixed(2)} (target < 1)`,
    );
    console.log(`warden / PM2 throughput: ${(mbps(warden) / mbps(pm2)).toFixed(2)}`);
  }
}

// Ends whatever this run started that still lives (by pid), then removes the temp dirs.
function cleanup(): void {
  for (const pid of started) {
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
}

try {
  const results = [await runCat(), await runWarden(), await runPm2()];
  report(results);
  process.exitCode = results.every((r) => r.isInOrder) ? 0 : 1;
} finally {
  cleanup();
}
