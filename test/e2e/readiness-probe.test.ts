// createProbe for notify (with systemd-notify), watchdog, fd (s6) and log sources: what the
// instance is given, what reaches the hooks, and what is dropped after stop().
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { ReadySpec } from '../../src/config/types.js';
import { createProbe } from '../../src/runtime/readiness/probe.js';
import { waitFor } from '../helpers/cli.js';
import {
  processGroupOf,
  recorder,
  skipWithout,
  spawnGroup,
  testHub,
} from '../helpers/readiness.js';

const NO_SYSTEMD_NOTIFY = skipWithout('systemd-notify', 'apt-get install systemd');

function spec(check: ReadySpec['check']): ReadySpec {
  return { check, timeoutMs: 60_000, intervalMs: 50 };
}

void describe('ready: notify and watchdog', { skip: NO_SYSTEMD_NOTIFY }, () => {
  void it('gives NOTIFY_SOCKET and WATCHDOG_USEC; READY=1, STATUS= and WATCHDOG=1 reach the hooks', async (t) => {
    const { hub } = testHub(t);
    const rec = recorder();
    let pgid = 0;
    const isMember = (pid: number): boolean => processGroupOf(pid) === pgid;
    const probe = createProbe(spec({ kind: 'notify' }), 2000, 'db', rec.hooks, {
      notify: hub,
      isMember,
      members: () => [],
    });
    t.after(() => probe.close());
    const extras = probe.extras();
    assert.deepEqual(extras, {
      env: { NOTIFY_SOCKET: hub.socketPath, WATCHDOG_USEC: '2000000' },
      pipes: [],
    });
    const script =
      'systemd-notify --ready --status="up: $WATCHDOG_USEC" && systemd-notify WATCHDOG=1 && exec sleep 30';
    const child = spawnGroup(t, script, extras.env);
    pgid = child.pid;
    probe.started(child);
    await waitFor('a watchdog ping', () => rec.watchdog > 0);
    assert.deepEqual(rec.ready, ['notify']);
    assert.deepEqual(rec.status, ['up: 2000000']);
  });

  void it('with a watchdog but another ready source, READY=1 is not readiness', async (t) => {
    const { hub } = testHub(t);
    const rec = recorder();
    let pgid = 0;
    const isMember = (pid: number): boolean => processGroupOf(pid) === pgid;
    const probe = createProbe(
      spec({ kind: 'log', pattern: '^listening' }),
      1000,
      'web',
      rec.hooks,
      { notify: hub, isMember, members: () => [] },
    );
    t.after(() => probe.close());
    const script = 'systemd-notify --ready WATCHDOG=1 && exec sleep 30';
    const child = spawnGroup(t, script, probe.extras().env);
    pgid = child.pid;
    probe.started(child);
    await waitFor('a watchdog ping', () => rec.watchdog > 0);
    assert.deepEqual(rec.ready, []);
    probe.line('out', 'listening on 3000');
    assert.deepEqual(rec.ready, ['log']);
  });

  void it('drops messages after stop() and logs the ones it does not act on', async (t) => {
    const { hub } = testHub(t);
    const rec = recorder();
    let pgid = 0;
    const isMember = (pid: number): boolean => processGroupOf(pid) === pgid;
    const probe = createProbe(spec({ kind: 'notify' }), null, 'db', rec.hooks, {
      notify: hub,
      isMember,
      members: () => [],
    });
    t.after(() => probe.close());
    assert.deepEqual(probe.extras().env, { NOTIFY_SOCKET: hub.socketPath });
    const script =
      'systemd-notify ERRNO=2 MAINPID=1 WATCHDOG=1 && read x && systemd-notify --ready; exec sleep 30';
    const child = spawnGroup(t, script, probe.extras().env, ['pipe', 'pipe', 'pipe']);
    pgid = child.pid;
    probe.started(child);
    await waitFor('ERRNO logged', () => rec.logs.some((l) => l.includes('ERRNO=2 (ENOENT)')));
    assert.ok(rec.logs.some((l) => l.includes('MAINPID=1 ignored')));
    assert.equal(rec.watchdog, 0, 'no watchdog configured');
    probe.stop();
    const logs = rec.logs.length;
    child.stdin?.end('go\n');
    // systemd-notify waits for its BARRIER=1 fd to be closed, which the hub does only after
    // handling READY=1: once the shell has exec'd sleep, READY=1 has been handled.
    await waitFor('systemd-notify --ready to finish', () => commandOf(child.pid) === 'sleep');
    assert.deepEqual(rec.ready, []);
    assert.equal(rec.logs.length, logs);
  });
});

// The command name of `pid` (/proc/PID/comm), or undefined when it is gone.
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

void describe('ready: fd (s6 notification-fd)', () => {
  void it('gives a pipe at fd N and NOTIFICATION_FD; ready at the first newline, not before', async (t) => {
    const { hub } = testHub(t);
    const rec = recorder();
    const probe = createProbe(spec({ kind: 'fd', fd: 3 }), null, 'web', rec.hooks, {
      notify: hub,
      isMember: () => false,
      members: () => [],
    });
    t.after(() => probe.close());
    const extras = probe.extras();
    assert.deepEqual(extras, { env: { NOTIFICATION_FD: '3' }, pipes: [3] });
    const script =
      'printf partial >&"$NOTIFICATION_FD"; read x; echo >&"$NOTIFICATION_FD"; echo more >&3; exec sleep 30';
    const child = spawnGroup(t, script, extras.env, ['pipe', 'pipe', 'pipe', 'pipe']);
    probe.started(child);
    child.stdout?.resume();
    await new Promise<void>((resolve) => child.stdio[3]?.once('data', () => resolve()));
    assert.deepEqual(rec.ready, []);
    child.stdin?.end('go\n');
    await waitFor('ready', () => rec.ready.length > 0);
    assert.deepEqual(rec.ready, ['fd']);
  });

  void it('logs an fd closed without a newline', async (t) => {
    const { hub } = testHub(t);
    const rec = recorder();
    const probe = createProbe(spec({ kind: 'fd', fd: 3 }), null, 'web', rec.hooks, {
      notify: hub,
      isMember: () => false,
      members: () => [],
    });
    t.after(() => probe.close());
    const child = spawnGroup(t, 'printf nope >&3; exec 3>&-; exec sleep 30', {}, [
      'ignore',
      'pipe',
      'pipe',
      'pipe',
    ]);
    probe.started(child);
    await waitFor('the log', () => rec.logs.some((l) => l.includes('closed without a newline')));
    assert.deepEqual(rec.ready, []);
  });
});

void describe('ready: log', () => {
  void it('ready at the first matching stdout or stderr line of the run', (t) => {
    const { hub } = testHub(t);
    const rec = recorder();
    const deps = { notify: hub, isMember: () => false, members: () => [] };
    const probe = createProbe(
      spec({ kind: 'log', pattern: 'listening on \\d+' }),
      null,
      'web',
      rec.hooks,
      deps,
    );
    assert.deepEqual(probe.extras(), { env: {}, pipes: [] });
    probe.line('out', 'listening on 3000'); // before started(): not this run's
    probe.started({ pid: 1, stdio: [] });
    probe.line('out', 'starting');
    probe.line('err', 'listening on 3000');
    probe.line('out', 'listening on 3001');
    assert.deepEqual(rec.ready, ['log']);
    probe.stop();
    probe.started({ pid: 1, stdio: [] });
    probe.line('out', 'listening on 3002');
    assert.deepEqual(rec.ready, ['log', 'log']);
    probe.close();
    const bad = createProbe(spec({ kind: 'log', pattern: '(' }), null, 'web', rec.hooks, deps);
    assert.ok(rec.logs.some((l) => l.includes('invalid pattern')));
    bad.close();
  });
});
