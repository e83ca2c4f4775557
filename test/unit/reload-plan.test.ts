// planReload: what a config change does to each service and instance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnIdentity } from '../../src/config/spawn-identity.js';
import type { ServiceSpec } from '../../src/config/types.js';
import { planReload, type PlannedService } from '../../src/runtime/reload-plan.js';
import { makeSpec } from '../helpers/core-fixtures.js';

// A service as it runs: every instance active and started from `spec` (or `spawnedFrom`).
function running(spec: ServiceSpec, spawnedFrom: ServiceSpec = spec): PlannedService {
  return {
    spec,
    instances: Array.from({ length: spec.instances }, (_, index) => ({
      name: spec.instances === 1 ? spec.name : `${spec.name}:${index}`,
      index,
      active: true,
      spawnedAs: spawnIdentity(spawnedFrom),
      ended: false,
    })),
  };
}

function plan(current: PlannedService[], next: ServiceSpec[]) {
  return planReload(new Map(current.map((s) => [s.spec.name, s])), {
    path: '/etc/warden.yaml',
    services: next,
  });
}

void describe('planReload', () => {
  const web = makeSpec({ name: 'web' });
  const db = makeSpec({ name: 'db', command: { kind: 'shell', script: 'redis-server' } });

  void it('sorts services into added, removed and unchanged', () => {
    const p = plan([running(web), running(db)], [web, makeSpec({ name: 'worker' })]);
    assert.deepEqual(p.added, ['worker']);
    assert.deepEqual(p.removed, ['db']);
    assert.deepEqual(p.unchanged, ['web']);
    assert.deepEqual(p.restarted, []);
  });

  for (const [what, over] of [
    ['command', { command: { kind: 'shell', script: 'other' } }],
    ['cwd', { cwd: '/srv/other' }],
    ['env', { env: { MODE: 'prod' } }],
    ['watchdog', { watchdogMs: 5000 }],
    ['ready notify', { ready: { check: { kind: 'notify' }, timeoutMs: 1000, intervalMs: 250 } }],
  ] as const) {
    void it(`restarts the live instances when the ${what} changed`, () => {
      const p = plan([running(web)], [{ ...web, ...over }]);
      assert.deepEqual(p.changed, ['web']);
      assert.deepEqual(p.restarted, ['web']);
    });
  }

  for (const [what, over] of [
    ['restart policy', { restart: 'never' }],
    ['stop_timeout', { stopTimeoutMs: 1 }],
    ['logs', { logs: { ...web.logs, keep: 1 } }],
    [
      'a polled readiness check',
      {
        ready: {
          check: { kind: 'tcp', host: '127.0.0.1', port: 1 },
          timeoutMs: 1,
          intervalMs: 250,
        },
      },
    ],
  ] as const) {
    void it(`applies a change of ${what} live, restarting nothing`, () => {
      const p = plan([running(web)], [{ ...web, ...over }]);
      assert.deepEqual(p.updated, ['web']);
      assert.deepEqual(p.changed, []);
      assert.deepEqual(p.restarted, []);
    });
  }

  void it('does not restart instances that are not running', () => {
    const idle = running(web);
    const stoppedWeb = {
      ...idle,
      instances: idle.instances.map((i) => ({ ...i, active: false, spawnedAs: null })),
    };
    const p = plan([stoppedWeb], [{ ...web, env: { MODE: 'prod' } }]);
    assert.deepEqual(p.changed, ['web']);
    assert.deepEqual(p.restarted, []);
  });

  void it('runs a task that ended again only when what reaches its process changed', () => {
    const migrate = makeSpec({ name: 'migrate', kind: 'task', restart: 'never' });
    const done = running(migrate);
    const ended = {
      ...done,
      instances: done.instances.map((i) => ({ ...i, active: false, spawnedAs: null, ended: true })),
    };
    assert.deepEqual(plan([ended], [migrate]).restarted, [], 'unchanged');
    assert.deepEqual(plan([ended], [{ ...migrate, restart: 'on-failure' }]).restarted, []);
    assert.deepEqual(plan([ended], [{ ...migrate, env: { V: '2' } }]).restarted, ['migrate']);
    const service = { ...ended, spec: { ...migrate, kind: 'service' as const } };
    const changed = { ...migrate, kind: 'service' as const, env: { V: '2' } };
    assert.deepEqual(plan([service], [changed]).restarted, [], 'a service that ended stays');
  });

  void it('does not run a scheduled task that ended when it changed: it waits for its time', () => {
    const schedule = {
      cron: '*/5 * * * *',
      timezone: null,
      overlap: 'skip' as const,
      catchUp: false,
    };
    const job = makeSpec({ name: 'job', kind: 'task', restart: 'never', schedule });
    const done = running(job);
    const ended = {
      ...done,
      instances: done.instances.map((i) => ({ ...i, active: false, spawnedAs: null, ended: true })),
    };
    const p = plan([ended], [{ ...job, env: { V: '2' } }]);
    assert.deepEqual(p.restarted, []);
    assert.deepEqual(p.changed, ['job']);
  });

  void it('scales without restarting kept instances', () => {
    const three = { ...web, instances: 3 };
    assert.deepEqual(plan([running(three)], [{ ...web, instances: 5 }]).scaled, [
      { service: 'web', from: 3, to: 5 },
    ]);
    const down = plan([running(three)], [{ ...web, instances: 1 }]);
    assert.deepEqual(down.scaled, [{ service: 'web', from: 3, to: 1 }]);
    assert.deepEqual(down.restarted, []);
    assert.deepEqual(down.changed, []);
  });

  void it('restarts only kept instances when both count and command change', () => {
    const three = { ...web, instances: 3 };
    const p = plan([running(three)], [{ ...web, instances: 2, env: { MODE: 'prod' } }]);
    assert.deepEqual(p.restarted, ['web:0', 'web:1']);
  });

  void it('restarts an instance still running an older definition after a live update', () => {
    const old = { ...web, env: { MODE: 'old' } };
    const p = plan([running(web, old)], [{ ...web, restart: 'never' }]);
    assert.deepEqual(p.restarted, ['web']);
  });
});
