// The main job through the built CLI: up, status, a killed instance comes back, stop, start,
// down leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { processesOfHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import type { InstanceStatus } from '../../src/core/status.js';

const CONFIG = `
services:
  ticker:
    command: while true; do echo "tick $WARDEN_INSTANCE"; sleep 0.2; done
    instances: 2
    min_uptime: 300ms
  sleeper:
    command: [sleep, "600"]
    min_uptime: 200ms
    stop_timeout: 5s
`;

async function instance(s: Sandbox, name: string): Promise<InstanceStatus> {
  const found = (await s.status()).instances.find((i) => i.name === name);
  assert.ok(found, `instance ${name} in status`);
  return found;
}

void describe('lifecycle through bin/warden', () => {
  let s: Sandbox;
  before(() => {
    s = sandbox();
    s.config(CONFIG);
  });
  after(() => s.cleanup());

  void it('up starts every instance and status shows them running', async () => {
    const up = await s.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /started ticker:0, ticker:1, sleeper/);
    const report = await waitFor('all running', async () => {
      const r = await s.status();
      return r.instances.every((i) => i.state === 'running') && r;
    });
    assert.deepEqual(
      report.instances.map((i) => i.name),
      ['ticker:0', 'ticker:1', 'sleeper'],
    );
    for (const i of report.instances) {
      assert.equal(typeof i.pid, 'number');
      assert.equal(i.restarts, 0);
      assert.equal(i.lastExit, null);
    }
    assert.equal(report.daemon.home, s.home);
    const table = await s.warden(['status']);
    assert.match(
      table.stdout,
      /^NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+(PIDS\s+CPU\s+MEM\s+)?LAST EXIT/,
    );
    assert.match(table.stdout, /sleeper\s+running\s+\d+/);
  });

  void it('an instance killed with SIGKILL comes back with restarts 1', async () => {
    const before = await instance(s, 'sleeper');
    assert.ok(before.pid !== null);
    process.kill(before.pid, 'SIGKILL');
    const back = await waitFor('sleeper running again', async () => {
      const i = await instance(s, 'sleeper');
      return i.state === 'running' && i.pid !== before.pid && i;
    });
    assert.equal(back.restarts, 1);
    assert.deepEqual(back.lastExit, { signal: 'SIGKILL', coreDumped: false });
  });

  void it('stop returns once the tree is gone; start brings it back', async () => {
    const { pid } = await instance(s, 'sleeper');
    assert.ok(pid !== null);
    const stop = await s.warden(['stop', 'sleeper']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /sleeper stopped/);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.equal((await instance(s, 'sleeper')).state, 'stopped');
    const start = await s.warden(['start', 'sleeper']);
    assert.equal(start.code, 0, start.stderr);
    const i = await waitFor('sleeper running', async () => {
      const x = await instance(s, 'sleeper');
      return x.state === 'running' && x;
    });
    assert.equal(i.restarts, 0, 'a user start resets the counters');
  });

  void it('restart and signal act on every instance of a service', async () => {
    const old = (await s.status()).instances
      .filter((i) => i.service === 'ticker')
      .map((i) => i.pid);
    const r = await s.warden(['restart', 'ticker']);
    assert.equal(r.code, 0, r.stderr);
    const now = (await s.status()).instances.filter((i) => i.service === 'ticker');
    for (const i of now) assert.ok(!old.includes(i.pid), `${i.name} has a new pid`);
    const sig = await s.warden(['signal', 'SIGUSR1', 'ticker:1']);
    assert.equal(sig.code, 0, sig.stderr);
    assert.match(sig.stdout, /sent SIGUSR1 to ticker:1/);
  });

  void it('unknown names are usage errors that change nothing', async () => {
    const r = await s.warden(['stop', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service "nope" \(known: ticker, sleeper\)/);
    const states = (await s.status()).instances.map((i) => i.state);
    assert.ok(states.every((x) => x === 'running' || x === 'starting'));
    const bad = await s.warden(['signal', 'SIGNOPE', 'ticker']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown signal "SIGNOPE"/);
    // A refused subscribe ends `events` too, rather than leave it waiting on an open socket.
    const events = await s.warden(['events', 'nope'], { timeoutMs: 15_000 });
    assert.equal(events.code, 2, events.stderr);
    assert.match(events.stderr, /unknown service "nope"/);
  });

  void it('logs show timestamped lines per instance and stream', async () => {
    const r = await waitFor('ticker lines in the log', async () => {
      const x = await s.warden(['logs', 'ticker', '-n', '5']);
      return x.stdout.split('\n').filter((l) => l !== '').length === 5 && x;
    });
    for (const line of r.stdout.trim().split('\n')) {
      assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ticker:[01] out \| tick [01]$/);
    }
  });

  void it('down stops every service and the daemon, leaving no process', async () => {
    assert.ok(processesOfHome(s.home).length >= 4, 'daemon and services are alive before');
    const r = await s.warden(['down']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(processesOfHome(s.home), []);
    const st = await s.warden(['status']);
    assert.equal(st.code, 3, 'no daemon: exit 3');
  });
});
