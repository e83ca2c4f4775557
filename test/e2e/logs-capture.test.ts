// Log capture under load, end to end: exact counts and order of a flood on both streams,
// rotation at the size bound with `keep` honoured, `logs -f` across rotations, and a full disk
// (a small tmpfs; root only, skipped otherwise) that keeps the service running and is reported.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parseLogLine } from '../../src/logs/format.js';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

// Every line of a service's log, oldest rotated file first.
function allLines(s: Sandbox, service: string): string[] {
  const dir = join(s.home, 'logs');
  if (!existsSync(join(dir, `${service}.log`))) return [];
  const rotated = readdirSync(dir)
    .map((n) => new RegExp(`^${service}\\.log\\.(\\d+)$`).exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  const files = [
    ...rotated.map((i) => join(dir, `${service}.log.${i}`)),
    join(dir, `${service}.log`),
  ];
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l !== ''),
  );
}

function numbersOf(lines: string[], stream: 'out' | 'err'): number[] {
  return lines
    .map((l) => parseLogLine(l))
    .filter((p) => p?.stream === stream && p.instance === 'flood')
    .map((p) => Number(p?.text.split(' ')[1]));
}

void describe('log capture under load', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('keeps every line of a 2 x 100000-line flood, in order per stream', async () => {
    s = sandbox();
    const N = 100_000;
    const script = `
      const pad = 'x'.repeat(40);
      let out = '', err = '';
      for (let i = 0; i < ${N}; i++) {
        out += 'out ' + i + ' ' + pad + '\\n';
        err += 'err ' + i + ' ' + pad + '\\n';
        if (out.length > 60000) { process.stdout.write(out); process.stderr.write(err); out = ''; err = ''; }
      }
      process.stdout.write(out); process.stderr.write(err);`;
    s.config(`
services:
  flood:
    command: [node, -e, ${JSON.stringify(script)}]
    restart: never
    logs: { max_size: 2MB, keep: 20 }
`);
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor(
      'every line in the files',
      () =>
        numbersOf(allLines(s, 'flood'), 'err').length >= N &&
        numbersOf(allLines(s, 'flood'), 'out').length >= N,
      60_000,
      200,
    );
    const lines = allLines(s, 'flood');
    for (const stream of ['out', 'err'] as const) {
      const numbers = numbersOf(lines, stream);
      assert.equal(numbers.length, N, `${stream} count`);
      numbers.forEach((n, i) => {
        if (n !== i) assert.fail(`${stream} line ${i} is ${n}`);
      });
    }
    const st = (await s.status()).instances[0];
    assert.deepEqual(st?.logs, { droppedLines: 0, error: null });
  });

  void it('rotates at max_size, keeps `keep` files, and reads them back with logs -n', async () => {
    s = sandbox();
    s.config(`
logs: { max_size: 16KB, keep: 2 }
services:
  rot:
    command: i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "line $i ........................................"; done
    restart: never
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const dir = join(s.home, 'logs');
    await waitFor(
      'the last line',
      () =>
        existsSync(join(dir, 'rot.log')) &&
        readFileSync(join(dir, 'rot.log'), 'utf8').includes('line 3000 '),
      30_000,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['rot.log', 'rot.log.1', 'rot.log.2']);
    for (const name of readdirSync(dir))
      assert.ok(statSync(join(dir, name)).size <= 16 * 1024, name);
    const numbers = allLines(s, 'rot').map((l) => Number(/line (\d+)/.exec(l)?.[1]));
    assert.equal(numbers.at(-1), 3000);
    numbers.forEach((n, i) => assert.equal(n, 3000 - numbers.length + 1 + i));
    // `logs -n` reads across the rotated files.
    const r = await s.warden(['logs', 'rot', '-n', String(numbers.length)]);
    assert.equal(r.stdout.trim().split('\n').length, numbers.length);
    const grep = await s.warden(['logs', 'rot', '-n', '5', '--grep', 'line 29[0-9]0 ']);
    assert.deepEqual(
      grep.stdout
        .trim()
        .split('\n')
        .map((l) => /line (\d+)/.exec(l)?.[1]),
      ['2950', '2960', '2970', '2980', '2990'],
    );
  });

  void it('logs -f follows across rotations without losing a line', async () => {
    s = sandbox();
    s.config(`
services:
  tick:
    command: i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.005; done
    logs: { max_size: 2KB, keep: 1 }
`);
    assert.equal((await s.warden(['up'])).code, 0);
    mkdirSync(s.dir, { recursive: true });
    const f = spawn(WARDEN, ['logs', 'tick', '-f', '-n', '0'], { env: s.env, cwd: s.dir });
    let out = '';
    f.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const seen = (): number[] => [...out.matchAll(/tick (\d+)\n/g)].map((m) => Number(m[1]));
    try {
      // 2 KiB hold about 50 lines: 300 lines are several rotations.
      await waitFor('300 followed lines', () => seen().length >= 300, 30_000);
    } finally {
      f.kill('SIGINT');
    }
    assert.equal(await new Promise((r) => f.once('exit', r)), 0);
    const numbers = seen();
    numbers.forEach((n, i) => assert.equal(n, (numbers[0] ?? 0) + i, `no gap at ${i}`));
  });

  void it('a full disk keeps the service running, counts dropped lines and says so', async (t) => {
    s = sandbox();
    const dir = join(s.home, 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k,mode=0700', 'tmpfs', dir], {
        stdio: 'pipe',
      });
    } catch (error) {
      t.skip(`cannot mount a tmpfs (needs root): ${String(error).split('\n')[0]}`);
      return;
    }
    try {
      s.config(`
services:
  chatty:
    command: i=0; while :; do i=$((i+1)); echo "chatty line $i ...................................................."; sleep 0.001; done
    logs: { max_size: off }
`);
      assert.equal((await s.warden(['up'])).code, 0);
      let last = '';
      const full = await waitFor(
        'ENOSPC in status',
        async () => {
          const i = (await s.status()).instances[0];
          last = JSON.stringify(i);
          return i?.logs.error === 'ENOSPC' && i.logs.droppedLines > 0 && i;
        },
        30_000,
        100,
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; last status ${last}; ${readFileSync(join(s.home, 'warden.log'), 'utf8')}`,
        );
      });
      assert.equal(full.state, 'running');
      const pid = full.pid;
      assert.match(
        readFileSync(join(s.home, 'warden.log'), 'utf8'),
        /chatty: cannot write .*chatty\.log: ENOSPC/,
      );
      truncateSync(join(dir, 'chatty.log'), 0); // room again: the next retry writes the marker
      await waitFor(
        'the marker',
        () =>
          /warden err \| warden: dropped \d+ lines \(ENOSPC\)/.test(
            readFileSync(join(dir, 'chatty.log'), 'utf8'),
          ),
        15_000,
        100,
      );
      const after = (await s.status()).instances[0];
      assert.equal(after?.state, 'running');
      assert.equal(after?.pid, pid, 'the same process all along');
      assert.ok((after?.logs.droppedLines ?? 0) >= full.logs.droppedLines);
    } finally {
      await s.warden(['down']);
      if (existsSync(dir)) execFileSync('umount', ['-l', dir]);
    }
  });
});
