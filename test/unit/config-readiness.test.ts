// The `ready`, `watchdog` and `depends_on` keys: typed results and exact error messages.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatIssue } from '../../src/config/format.js';
import { parseConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-ready-'));
const file = join(dir, 'warden.yaml');

async function issues(yaml: string): Promise<string[]> {
  const r = await parseConfig(yaml, file);
  return r.ok ? [] : r.issues.map((i) => formatIssue(i).replace(`${file}:`, ''));
}

void describe('ready, watchdog, depends_on', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('reads every readiness source with defaults', async () => {
    const r = await parseConfig(
      [
        'services:',
        '  a: { command: x, ready: { notify: true }, watchdog: 30s }',
        '  b: { command: x, ready: { fd: 3, timeout: 5s } }',
        '  c: { command: x, ready: { tcp: "db.local:5432", interval: 100ms } }',
        '  d: { command: x, ready: { http: "http://127.0.0.1:8080/health" } }',
        '  e: { command: x, ready: { exec: [pg_isready] } }',
        '  f: { command: x, ready: { log: "listening on \\\\d+" }, depends_on: { a: started, b: running } }',
        '  g: { command: x, depends_on: [a, c] }',
      ].join('\n'),
      file,
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    const by = new Map(r.config.services.map((s) => [s.name, s]));
    assert.deepEqual(by.get('a')?.ready, {
      check: { kind: 'notify' },
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    assert.equal(by.get('a')?.watchdogMs, 30_000);
    assert.deepEqual(by.get('b')?.ready?.check, { kind: 'fd', fd: 3 });
    assert.equal(by.get('b')?.ready?.timeoutMs, 5000);
    assert.deepEqual(by.get('c')?.ready, {
      check: { kind: 'tcp', host: 'db.local', port: 5432 },
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    assert.deepEqual(by.get('d')?.ready?.check, {
      kind: 'http',
      url: 'http://127.0.0.1:8080/health',
    });
    assert.deepEqual(by.get('e')?.ready?.check, {
      kind: 'exec',
      command: { kind: 'argv', argv: ['pg_isready'] },
    });
    assert.deepEqual(by.get('f')?.ready?.check, { kind: 'log', pattern: 'listening on \\d+' });
    assert.deepEqual(by.get('f')?.dependsOn, [
      { service: 'a', condition: 'started' },
      { service: 'b', condition: 'running' },
    ]);
    assert.deepEqual(by.get('g')?.dependsOn, [
      { service: 'a', condition: 'running' },
      { service: 'c', condition: 'running' },
    ]);
    assert.equal(by.get('g')?.ready, null);
    assert.equal(by.get('g')?.watchdogMs, null);
  });

  const table: [string, string, string][] = [
    [
      'no source',
      'services:\n  a:\n    command: x\n    ready: { timeout: 5s }\n',
      '4:12: services.a.ready: needs one source: notify, fd, tcp, http, exec, log',
    ],
    [
      'two sources',
      'services:\n  a:\n    command: x\n    ready: { notify: true, tcp: 80 }\n',
      '4:12: services.a.ready: has notify and tcp; give exactly one source',
    ],
    [
      'bad port',
      'services:\n  a:\n    command: x\n    ready: { tcp: "db:99999" }\n',
      '4:19: services.a.ready.tcp: "db:99999" is not a port or HOST:PORT (1-65535)',
    ],
    [
      'bad regex',
      'services:\n  a:\n    command: x\n    ready: { log: "(" }\n',
      '4:19: services.a.ready.log: is not a regular expression: Invalid regular expression: /(/: Unterminated group',
    ],
    [
      'typo',
      'services:\n  a:\n    command: x\n    ready: { tpc: 80 }\n',
      '4:14: services.a.ready.tpc: "tpc" is not a known key; known keys: notify, fd, tcp, http, exec, log, timeout, interval',
    ],
    [
      'watchdog 0',
      'services:\n  a:\n    command: x\n    watchdog: 0\n',
      '4:15: services.a.watchdog: must be more than 0',
    ],
    [
      'bad condition',
      'services:\n  a:\n    command: x\n    depends_on: { b: healthy }\n  b:\n    command: x\n',
      '4:17: services.a.depends_on: "healthy" is not a condition for b; use running, started, completed or succeeded',
    ],
    [
      'cycle',
      'services:\n  a:\n    command: x\n    depends_on: [b]\n  b:\n    command: x\n    depends_on: [a]\n',
      '4:5: services.a.depends_on: dependency cycle: a -> b -> a; remove one of these depends_on entries',
    ],
    [
      'self',
      'services:\n  a:\n    command: x\n    depends_on: [a]\n',
      '4:5: services.a.depends_on: dependency cycle: a -> a; remove one of these depends_on entries',
    ],
    [
      'unknown',
      'services:\n  a:\n    command: x\n    depends_on: [ghost]\n',
      '4:18: services.a.depends_on[0]: "ghost" is not a service of this file (services: a)',
    ],
    [
      // Every condition `running`: still a map, so the entry is named by its key, on its line.
      'unknown in a map',
      'services:\n  db:\n    command: x\n  web:\n    command: x\n    depends_on:\n      db: running\n      cache: running\n',
      '8:7: services.web.depends_on.cache: "cache" is not a service of this file (services: db, web)',
    ],
    [
      'unknown in a flow map',
      'services:\n  db: { command: x }\n  web: { command: x, depends_on: { db: started, cache: running } }\n',
      '3:49: services.web.depends_on.cache: "cache" is not a service of this file (services: db, web)',
    ],
  ];
  for (const [name, yaml, expected] of table) {
    void it(`rejects ${name}`, async () => {
      assert.deepEqual(await issues(yaml), [expected]);
    });
  }
});
