// Start order on readiness, through bin/warden: dependencies first and running, dependents held
// with a reason, given up when a dependency fails, stopped first on `down`; `warden events`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, describe, it } from 'node:test';
import type { StateEvent } from '../../src/ipc/protocol.js';
import { sandbox, waitFor, WARDEN, type Sandbox } from '../helpers/cli.js';

const CONFIG = `
services:
  web:
    command: [sleep, "600"]
    depends_on: [db]
    min_uptime: 100ms
  db:
    command: [sleep, "600"]
    min_uptime: 800ms
  worker:
    command: [sleep, "600"]
    depends_on: { web: started }
    min_uptime: 100ms
  broken:
    command: exit 3
    restart: never
  dependent:
    command: [sleep, "600"]
    depends_on: [broken]
`;

function follow(s: Sandbox): { events: StateEvent[]; stop: () => Promise<void> } {
  const child = spawn(WARDEN, ['events'], { env: s.env, cwd: s.dir });
  const events: StateEvent[] = [];
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines) if (l !== '') events.push(JSON.parse(l) as StateEvent);
  });
  return {
    events,
    stop: async () => {
      // It ends by itself when the daemon goes away (`down`).
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}

void describe('dependencies and events', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('starts each service after its dependencies run, and stops them in reverse', async () => {
    s = sandbox();
    s.config(CONFIG);
    const up = await s.warden(['up']);
    assert.equal(up.code, 0, up.stderr);
    const events = follow(s);
    try {
      const waited = await s.warden(['wait', 'web', 'worker', '--timeout', '20s']);
      assert.equal(waited.code, 0, waited.stderr);
      const st = await s.status();
      const by = new Map(st.instances.map((i) => [i.name, i]));
      const db = by.get('db');
      const web = by.get('web');
      assert.ok(db?.state === 'running' && web?.state === 'running');
      assert.ok((web.startedAt ?? 0) >= db.since, 'web was spawned only once db was running');
      assert.equal(by.get('dependent')?.state, 'stopped');
      assert.equal(by.get('dependent')?.reason, 'dependency broken exited');
      const table = await s.warden(['status', 'dependent']);
      assert.match(table.stdout, /dependency broken exited/);

      assert.equal((await s.warden(['down'])).code, 0);
      await waitFor('the stop events', () =>
        ['web', 'db', 'worker'].every((n) =>
          events.events.some((e) => e.instance === n && e.to === 'stopped'),
        ),
      );
      const stoppedAt = (n: string) =>
        events.events.findIndex((e) => e.instance === n && e.to === 'stopped');
      assert.ok(stoppedAt('worker') < stoppedAt('web'), 'worker (depends on web) stopped first');
      assert.ok(stoppedAt('web') < stoppedAt('db'), 'web (depends on db) stopped before db');
      for (const e of events.events) {
        assert.equal(typeof e.time, 'number');
        assert.equal(typeof e.reason, 'string');
      }
    } finally {
      await events.stop();
    }
  });

  void it('starting a service starts its dependencies first', async () => {
    s = sandbox();
    s.config(CONFIG);
    assert.equal((await s.warden(['up', 'web'])).code, 0);
    await waitFor('web running', async () => {
      const st = await s.status();
      return st.instances.find((i) => i.name === 'web')?.state === 'running';
    });
    const st = await s.status();
    assert.equal(st.instances.find((i) => i.name === 'db')?.state, 'running');
    assert.equal(
      st.instances.find((i) => i.name === 'worker')?.state,
      'stopped',
      'not a dependency',
    );
  });

  void it('a dependency cycle is a config error naming the cycle', async () => {
    s = sandbox();
    s.config(
      'services:\n  a:\n    command: x\n    depends_on: [b]\n  b:\n    command: x\n    depends_on: [a]\n',
    );
    const r = await s.warden(['up']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /warden\.yaml:4:5: services\.a\.depends_on: dependency cycle: a -> b -> a/,
    );
  });
});
