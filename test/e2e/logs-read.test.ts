// Reading logs back, end to end: `logs -f` during a flood shows every line in order across
// rotations, `-n N` gives exactly the last N lines across rotated (and gzipped) files merged by
// time across services, and the filters (--grep, --stderr, an instance) hold across files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { formatLogLine, type Stream } from '../../src/logs/format.js';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

/** One line of a test log: its time, instance, stream and text. */
type Line = [time: number, instance: string, stream: Stream, text: string];

function writeFile(s: Sandbox, name: string, lines: Line[], gzip = false): void {
  const dir = join(s.home, 'logs');
  mkdirSync(dir, { recursive: true });
  const text = lines.map(([t, i, st, x]) => formatLogLine(t, i, st, x)).join('');
  writeFileSync(join(dir, name), gzip ? gzipSync(text) : text);
}

// The texts printed by `warden logs ARGS` (the part after `| `).
async function texts(s: Sandbox, args: string[]): Promise<string[]> {
  const r = await s.warden(['logs', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout === ''
    ? []
    : r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' | ')[1] ?? '');
}

// The log files of `s` with their inode, size and first line number, to tell which file a missing line was in.
function logFiles(s: Sandbox): string {
  const dir = join(s.home, 'logs');
  return readdirSync(dir)
    .map((n) => {
      const first = /\| line (\d+) /.exec(readFileSync(join(dir, n), 'utf8'))?.[1];
      return `${n} ${statSync(join(dir, n)).ino} ${statSync(join(dir, n)).size} from ${first}`;
    })
    .join('; ');
}

const range = (from: number, to: number, name: string): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${name} ${from + i}`);

void describe('reading logs back', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('logs -f shows every line of a 100,000-line flood, in order, across rotations', async () => {
    s = sandbox();
    const N = 100_000;
    const flood = `
      const pad = 'x'.repeat(40);
      let out = '';
      for (let i = 1; i <= ${N}; i++) {
        out += 'line ' + i + ' ' + pad + '\\n';
        if (out.length > 60000) { process.stdout.write(out); out = ''; }
      }
      process.stdout.write(out);`;
    mkdirSync(s.dir, { recursive: true });
    const script = join(s.dir, 'flood.js');
    const go = join(s.dir, 'go');
    writeFileSync(script, flood);
    s.config(`
services:
  flood:
    command: echo waiting; while [ ! -e ${go} ]; do sleep 0.02; done; exec node ${script}
    restart: never
    logs: { max_size: 1MB, keep: 40 }
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const log = join(s.home, 'logs', 'flood.log');
    await waitFor('the first line', () => existsSync(log) && readFileSync(log, 'utf8') !== '');
    const f = spawn(WARDEN, ['logs', 'flood', '-f', '-n', '1'], { env: s.env, cwd: s.dir });
    let out = '';
    f.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the follower', () => out.includes('| waiting\n'));
      writeFileSync(go, '');
      await waitFor('the last line', () => out.includes(`| line ${N} `), 90_000, 100);
    } finally {
      f.kill('SIGINT');
    }
    assert.equal(await new Promise((r) => f.once('exit', r)), 0);
    const numbers = [...out.matchAll(/\| line (\d+) /g)].map((m) => Number(m[1]));
    const bad = numbers.findIndex((n, i) => n !== i + 1);
    if (bad !== -1 || numbers.length !== N)
      assert.fail(
        `followed ${numbers.length} lines of ${N}; the first out of order is #${bad + 1}: ` +
          `${numbers.slice(Math.max(0, bad - 3), bad + 4).join(', ')}\n` +
          `log files (name inode size): ${logFiles(s)}`,
      );
  });

  void it('logs -n N gives exactly the last N lines across rotated and gzipped files', async () => {
    s = sandbox();
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const a = (from: number, to: number): Line[] =>
      range(from, to, 'a').map((x, i) => [t0 + 10 * (from + i), 'a:0', 'out', x]);
    writeFile(s, 'a.log.3.gz', a(1, 1000), true);
    writeFile(s, 'a.log.2', a(1001, 2000));
    writeFile(s, 'a.log.1.gz', a(2001, 3000), true);
    writeFile(s, 'a.log', a(3001, 3500));
    for (const n of [0, 1, 499, 500, 501, 1500, 2600, 3500, 9999])
      assert.deepEqual(
        await texts(s, ['a', '-n', String(n)]),
        range(Math.max(1, 3501 - n), 3500, 'a'),
        `-n ${n}`,
      );
  });

  void it('merges services by time and filters across files', async () => {
    s = sandbox();
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    // a: a line every 10 ms; b: every 25 ms, both streams, instances b:0 and b:1.
    const a: Line[] = range(1, 3000, 'a').map((x, i) => [t0 + 10 * i, 'a:0', 'out', x]);
    const b: Line[] = range(1, 1200, 'b').map((x, i) => [
      t0 + 25 * i + 5,
      `b:${i % 2}`,
      i % 3 === 0 ? 'err' : 'out',
      x,
    ]);
    writeFile(s, 'a.log.1', a.slice(0, 2000));
    writeFile(s, 'a.log', a.slice(2000));
    writeFile(s, 'b.log.1.gz', b.slice(0, 700), true);
    writeFile(s, 'b.log', b.slice(700));
    const all = [...a, ...b].sort((x, y) => x[0] - y[0]).map((l) => l[3]);
    assert.deepEqual(await texts(s, ['-n', '1700']), all.slice(-1700));
    assert.deepEqual(await texts(s, ['a', 'b', '-n', '4200']), all);
    const match = (l: string): boolean => /^(a|b) \d*7$/.test(l);
    assert.deepEqual(
      await texts(s, ['-n', '250', '--grep', ' \\d*7$']),
      all.filter(match).slice(-250),
    );
    const errs = b.filter((l) => l[2] === 'err' && l[1] === 'b:1').map((l) => l[3]);
    assert.deepEqual(await texts(s, ['b:1', '--stderr', '-n', '150']), errs.slice(-150));
    const since = new Date(t0 + 29_000).toISOString();
    const late = [...a, ...b].filter((l) => l[0] >= t0 + 29_000).sort((x, y) => x[0] - y[0]);
    assert.deepEqual(
      await texts(s, ['--since', since, '-n', '9999']),
      late.map((l) => l[3]),
    );
  });
});
