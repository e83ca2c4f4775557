// `npm run bench:logs-read`: how fast `warden logs` reads a history back, beside `tail`, `grep`
// and `pm2 logs --nostream` on the same lines. Two histories of one service `flood` writing on
// both streams: 9 MB in one file (200,000 lines), and 60 MB in six files (the current one and
// five rotated ones of 10 MB). Each command runs --runs times (default 5) with its output to a
// file (grep stops at the first match when its output is /dev/null); the median wall time and
// the largest resident memory (`/usr/bin/time -f %M`) are printed, and `node -e 0` as the floor
// of any Node program. PM2 7 (a dev dependency) gets the same lines in its out and err files,
// and `--lines N/2` (it prints the last N lines of each file). Temp dirs; the PM2 daemon it
// starts is killed.
// Usage: npm run bench:logs-read -- [--runs 5] [--only 9mb,60mb]
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSelected, numberArg, onlyArg } from './lib/args.js';
import { benchEnv } from './lib/command.js';
import { PM2, WARDEN } from './lib/contenders.js';
import { median } from './lib/stats.js';

const runs = numberArg('runs', 5);
const only = onlyArg();
const root = mkdtempSync(join(tmpdir(), 'warden-bench-read-'));
const TIME = '/usr/bin/time';

/** One measured command: median ms and the largest RSS (MB) over the runs. */
interface Figure {
  label: string;
  ms: number;
  rssMb: number;
  lines: number;
}

// Writes `count` lines of both streams (alternating), 1 ms apart, into `file`: returns the
// out and err lines too when `split` is given (for PM2's two files).
function writeHistory(file: string, first: number, count: number, split?: [number, number]): void {
  const fd = openSync(file, 'w');
  const [outFd, errFd] = split ?? [-1, -1];
  const t0 = Date.parse('2026-12-07T00:00:00Z');
  let batch: string[] = [];
  let outs: string[] = [];
  let errs: string[] = [];
  const flush = (): void => {
    writeSync(fd, batch.join(''));
    if (split !== undefined) {
      writeSync(outFd, outs.join(''));
      writeSync(errFd, errs.join(''));
    }
    batch = [];
    outs = [];
    errs = [];
  };
  for (let i = first; i < first + count; i++) {
    const stream = i % 2 === 0 ? 'out' : 'err';
    const text = `line ${i >> 1}`;
    batch.push(`${new Date(t0 + (i >> 1)).toISOString()} flood ${stream} | ${text}\n`);
    if (split !== undefined) (stream === 'out' ? outs : errs).push(`${text}\n`);
    if (batch.length === 10_000) flush();
  }
  flush();
  closeSync(fd);
}

// Runs `argv` with stdout to a file: wall ms, peak RSS (MB) and lines printed.
function timed(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { ms: number; rssMb: number; lines: number } {
  const outFile = join(root, 'out.txt');
  const out = openSync(outFile, 'w');
  const start = performance.now();
  const r = spawnSync(TIME, ['-f', '%M', ...argv], { env, stdio: ['ignore', out, 'pipe'] });
  const ms = performance.now() - start;
  closeSync(out);
  if (r.status !== 0 && !(argv[0] === 'grep' && r.status === 1))
    throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stderr.toString()}`);
  const kb = Number(r.stderr.toString().trim().split('\n').at(-1));
  const lines = Number(execFileSync('wc', ['-l', outFile]).toString().split(' ')[0]);
  return { ms, rssMb: kb / 1024, lines };
}

function measure(label: string, argv: string[], env: NodeJS.ProcessEnv): Figure {
  const all = Array.from({ length: runs }, () => timed(argv, env));
  return {
    label,
    ms: median(all.map((r) => r.ms)),
    rssMb: Math.max(...all.map((r) => r.rssMb)),
    lines: all[0]?.lines ?? 0,
  };
}

function print(title: string, figures: Figure[]): void {
  console.log(`\n${title}`);
  console.log('command                                            median ms   max RSS MB   lines');
  for (const f of figures)
    console.log(
      `${f.label.padEnd(50)} ${f.ms.toFixed(0).padStart(9)}   ${f.rssMb.toFixed(0).padStart(10)}   ${String(f.lines).padStart(7)}`,
    );
}

// A history of `files` files of `perFile` lines each (the last is the current one).
function history(name: string, files: number, perFile: number): void {
  const home = join(root, name, 'home');
  const logs = join(home, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const pm2Dir = join(root, name, 'pm2');
  mkdirSync(pm2Dir, { recursive: true });
  const outLog = join(pm2Dir, 'flood-out.log');
  const errLog = join(pm2Dir, 'flood-err.log');
  const outFd = openSync(outLog, 'w');
  const errFd = openSync(errLog, 'w');
  const paths: string[] = [];
  for (let k = files - 1; k >= 0; k--) {
    const file = join(logs, k === 0 ? 'flood.log' : `flood.log.${k}`);
    writeHistory(file, (files - 1 - k) * perFile, perFile, [outFd, errFd]);
    paths.push(file);
  }
  closeSync(outFd);
  closeSync(errFd);
  const env = benchEnv({ WARDEN_HOME: home, NO_COLOR: '1' });
  const pm2Env = benchEnv({ PM2_HOME: join(pm2Dir, 'home'), PM2_DISABLE_VERSION_CHECK: 'true' });
  const pm2 = (...args: string[]): string =>
    execFileSync(process.execPath, [PM2, ...args], { env: pm2Env }).toString();
  // A process named flood whose log files are those above (it writes nothing itself).
  pm2(
    'start',
    '/bin/sleep',
    '--name',
    'flood',
    '--interpreter',
    'none',
    '-o',
    outLog,
    '-e',
    errLog,
    '--',
    '100000',
  );
  try {
    const current = paths.at(-1) as string;
    const pattern = 'line 4242';
    const figures = [
      measure('node -e 0', [process.execPath, '-e', '0'], env),
      measure('warden logs flood -n 50', [WARDEN, 'logs', 'flood', '-n', '50'], env),
      measure('tail -n 50 flood.log', ['tail', '-n', '50', current], env),
      measure(
        'pm2 logs flood --nostream --lines 25',
        [process.execPath, PM2, 'logs', 'flood', '--nostream', '--lines', '25'],
        pm2Env,
      ),
      measure('warden logs flood -n 200000', [WARDEN, 'logs', 'flood', '-n', '200000'], env),
      measure('tail -n 200000 flood.log', ['tail', '-n', '200000', current], env),
      measure(
        'pm2 logs flood --nostream --lines 100000',
        [process.execPath, PM2, 'logs', 'flood', '--nostream', '--lines', '100000'],
        pm2Env,
      ),
      measure(
        `warden logs flood --grep '${pattern}' -n 1000000`,
        [WARDEN, 'logs', 'flood', '--grep', pattern, '-n', '1000000'],
        env,
      ),
      measure(`grep '${pattern}' (every file)`, ['grep', '-h', pattern, ...paths], env),
    ];
    if (files > 1)
      figures.push(
        measure(
          'warden logs flood -n 10000000 (all)',
          [WARDEN, 'logs', 'flood', '-n', '10000000'],
          env,
        ),
        measure('cat (every file)', ['cat', ...paths], env),
      );
    print(
      `${name}: ${files * perFile} lines in ${files} file(s), ${new Date().toISOString()}`,
      figures,
    );
  } finally {
    pm2('kill');
  }
}

try {
  if (isSelected(only, '9mb')) history('9mb', 1, 200_000);
  if (isSelected(only, '60mb')) history('60mb', 6, 222_000);
} finally {
  rmSync(root, { recursive: true, force: true });
}
