// The polled readiness sources (tcp, http, exec) through createProbe, against real listeners
// and commands: ready at once, ready late, never ready; attempts never overlap; stop() leaves
// no timer and no process behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { ReadyCheck } from '../../src/config/types.js';
import { MIN_ATTEMPT_MS } from '../../src/runtime/readiness/poll-source.js';
import { createProbe } from '../../src/runtime/readiness/probe.js';
import type { ReadinessProbe } from '../../src/runtime/readiness/types.js';
import { waitFor } from '../helpers/cli.js';
import {
  freePort,
  processesWith,
  recorder,
  spawnGroup,
  testHub,
  type Recorder,
} from '../helpers/readiness.js';

const INTERVAL = 50;

// The tree's members: by default this test process, which holds the listeners the tests open.
function probeFor(
  t: TestContext,
  check: ReadyCheck,
  dir = tmpdir(),
  intervalMs = INTERVAL,
  members = (): number[] => [process.pid],
): { probe: ReadinessProbe; rec: Recorder } {
  const rec = recorder();
  const { hub } = testHub(t);
  const ready = { check, timeoutMs: 60_000, intervalMs };
  const exec = { cwd: dir, env: process.env };
  const probe = createProbe(ready, null, 'svc', rec.hooks, {
    notify: hub,
    isMember: () => false,
    members,
    exec,
  });
  t.after(() => probe.close());
  // The polled sources need a started instance; any child will do.
  probe.started(spawnGroup(t, 'exec sleep 30'));
  return { probe, rec };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-ready-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

void describe('ready: tcp', () => {
  void it('becomes ready once a listener appears late, after refused attempts', async (t) => {
    const port = await freePort();
    const { rec } = probeFor(t, { kind: 'tcp', host: '127.0.0.1', port });
    await waitFor('a refused attempt', () => rec.logs.some((l) => l.includes('ECONNREFUSED')));
    assert.deepEqual(rec.ready, []);
    const server = createServer((s) => s.destroy()).listen(port, '127.0.0.1');
    t.after(() => server.close());
    await waitFor('ready', () => rec.ready.length > 0);
    assert.deepEqual(rec.ready, ['tcp']);
  });

  void it('never calls ready while nothing listens, and stop() ends the polling', async (t) => {
    const port = await freePort();
    const { probe, rec } = probeFor(t, { kind: 'tcp', host: '127.0.0.1', port });
    const until = Date.now() + 20 * INTERVAL;
    await waitFor('20 intervals', () => Date.now() > until && rec.ready.length === 0);
    probe.stop();
    const server = createServer((s) => s.destroy()).listen(port, '127.0.0.1');
    t.after(() => server.close());
    let connections = 0;
    server.on('connection', () => connections++);
    const quiet = Date.now() + 10 * INTERVAL;
    await waitFor('10 more intervals', () => Date.now() > quiet);
    assert.equal(connections, 0);
    assert.deepEqual(rec.ready, []);
  });
});

void describe('ready: tcp and http count only for a listener of the tree', () => {
  for (const kind of ['tcp', 'http'] as const) {
    void it(`${kind}: a listener of another process never counts; the reason names it`, async (t) => {
      const port = await freePort();
      const code = `require('http').createServer((q, s) => s.end()).listen(${port}, '127.0.0.1', () => console.log('up'))`;
      const other = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
      t.after(() => other.kill('SIGKILL'));
      await new Promise((r) => other.stdout.once('data', r));
      const check: ReadyCheck =
        kind === 'tcp'
          ? { kind, host: '127.0.0.1', port }
          : { kind, url: `http://127.0.0.1:${port}/` };
      const { probe, rec } = probeFor(t, check, tmpdir(), INTERVAL, () => [process.pid]);
      const held = `port ${port} is held by pid ${other.pid} (node), not by this instance`;
      await waitFor('the holder named', () => rec.waiting.some((w) => w.endsWith(held)));
      const until = Date.now() + 10 * INTERVAL;
      await waitFor('10 more intervals', () => Date.now() > until);
      probe.stop();
      assert.deepEqual(rec.ready, []);
      assert.equal(rec.logs.filter((l) => l.endsWith(held)).length, 1, 'logged once per run');
    });
  }
});

void describe('ready: http', () => {
  void it('ready at the first 2xx/3xx answer; 503 and 404 are not ready', async (t) => {
    // Once it answers 302 it stays so: under load an attempt may time out and be tried again.
    const answers = [503, 404, 302];
    let requests = 0;
    const server = createHttpServer((_req, res) => {
      res.statusCode = answers[Math.min(requests++, 2)] ?? 302;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // A generous per-attempt time (the interval), so a loaded machine still reads each answer.
    const url = `http://127.0.0.1:${port}/health`;
    const { rec } = probeFor(t, { kind: 'http', url }, tmpdir(), 400);
    await waitFor('ready', () => rec.ready.length > 0);
    assert.deepEqual(rec.ready, ['http']);
    assert.ok(requests >= 3, `ready only once the 302 came (${requests} requests)`);
    assert.ok(
      rec.logs.some((l) => l.includes('HTTP 503') || l.includes('HTTP 404')),
      rec.logs.join('\n'),
    );
  });
});

void describe('ready: exec', () => {
  void it('becomes ready when the command starts exiting 0', async (t) => {
    const dir = tempDir(t);
    const { rec } = probeFor(
      t,
      { kind: 'exec', command: { kind: 'shell', script: 'test -e flag' } },
      dir,
    );
    await waitFor('a failed attempt', () => rec.logs.some((l) => l.includes('exit 1')));
    writeFileSync(join(dir, 'flag'), '');
    await waitFor('ready', () => rec.ready.length > 0);
    assert.deepEqual(rec.ready, ['exec']);
  });

  void it('never ready on a failing command; attempts never overlap', async (t) => {
    const dir = tempDir(t);
    const script = 'mkdir lock || echo overlap >> log; echo run >> log; rmdir lock; exit 3';
    const { probe, rec } = probeFor(t, { kind: 'exec', command: { kind: 'shell', script } }, dir);
    const runs = (): string[] =>
      existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').split('\n') : [];
    await waitFor('5 attempts', () => runs().filter((l) => l === 'run').length >= 5);
    probe.stop();
    assert.deepEqual(rec.ready, []);
    assert.ok(!runs().includes('overlap'));
    assert.equal(
      rec.logs.filter((l) => l.includes('exit 3')).length,
      1,
      'each reason logged once per run',
    );
  });

  void it('kills a command that outlives the interval, and its children, then tries again', async (t) => {
    const dir = tempDir(t);
    const marker = `30.${process.pid}${Date.now() % 100000}`; // a unique sleep duration
    const script = `echo run >> log; sh -c 'exec sleep ${marker}' & exec sleep ${marker}`;
    const { probe, rec } = probeFor(t, { kind: 'exec', command: { kind: 'shell', script } }, dir);
    const runs = (): number =>
      existsSync(join(dir, 'log'))
        ? readFileSync(join(dir, 'log'), 'utf8').split('\n').length - 1
        : 0;
    await waitFor('the command and its child', () => processesWith(marker).length >= 2);
    await waitFor('a second attempt', () => runs() >= 2);
    assert.ok(
      rec.logs.some((l) => l.includes(`no success within ${MIN_ATTEMPT_MS}ms`)),
      rec.logs.join('\n'),
    );
    probe.stop();
    await waitFor('no command left', () => processesWith(marker).length === 0, 5000);
    assert.deepEqual(rec.ready, []);
  });

  void it('reports a command that cannot be spawned', async (t) => {
    const command = { kind: 'argv' as const, argv: ['/nonexistent/check'] as [string] };
    const { rec } = probeFor(t, { kind: 'exec', command });
    await waitFor('ENOENT', () => rec.logs.some((l) => l.includes('ENOENT')));
  });
});
