// The config loader end to end: real files in a temp dir, exact messages and places.
import { NO_LIMITS } from '../../src/config/limits.js';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatIssue } from '../../src/config/format.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { checkDocument, type ConfigSource } from '../../src/config/document.js';
import { DEFAULT_LOG_SPEC } from '../../src/config/logs.js';
import { DAEMON_PRIVILEGES, type ServiceSpec } from '../../src/config/types.js';
import { BROKEN_CONFIGS } from '../fixtures/config/broken-configs.js';

let dir = '';
let caseNumber = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` as warden.yaml in a fresh subdirectory and returns the config file's path. */
async function writeConfig(text: string, name = 'warden.yaml'): Promise<string> {
  const caseDir = join(dir, `case-${++caseNumber}`);
  await mkdir(caseDir);
  const file = join(caseDir, name);
  await writeFile(file, text);
  return file;
}

/** Loads `file` and returns its formatted issues with paths relative to its directory. */
async function issuesOf(file: string): Promise<string[]> {
  const result = await loadConfig(file);
  assert.equal(result.ok, false, 'expected the config to be rejected');
  if (result.ok) return [];
  const base = join(file, '..');
  return result.issues.map((issue) => formatIssue({ ...issue, file: relative(base, issue.file) }));
}

void describe('loadConfig rejects broken configs with exact messages and places', () => {
  for (const { name, yaml, issues } of BROKEN_CONFIGS) {
    void it(name, async () => {
      const file = await writeConfig(yaml);
      const expected = issues.map((line) => line.replaceAll('{dir}', join(file, '..')));
      assert.deepEqual(await issuesOf(file), expected);
    });
  }

  void it('reports an unreadable config file without a line', async () => {
    const file = join(dir, 'absent', 'warden.yaml');
    assert.deepEqual(await loadConfig(file), {
      ok: false,
      issues: [
        { file, path: '', message: 'ENOENT: no such file; create warden.yaml or pass -f FILE' },
      ],
    });
    assert.equal(
      formatIssue({ file, path: '', message: 'ENOENT: no such file' }),
      `${file}: ENOENT: no such file`,
    );
  });

  void it('reports an unreadable env_file with its errno (EACCES)', async () => {
    const file = join(dir, 'virtual', 'warden.yaml');
    const denied = () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' }));
    const text = 'services:\n  web:\n    command: x\n    env_file: secret.env\n';
    assert.deepEqual(await parseConfig(text, file, denied), {
      ok: false,
      issues: [
        {
          file,
          line: 4,
          column: 15,
          path: 'services.web.env_file',
          message: `EACCES: permission denied reading env file ${join(dir, 'virtual', 'secret.env')}`,
        },
      ],
    });
  });

  void it('reports a malformed env_file line at its own file and line', async () => {
    const file = await writeConfig('services:\n  web:\n    command: x\n    env_file: .env\n');
    await writeFile(join(file, '..', '.env'), '# comment\nA=1\nnot a pair\nB="open\n');
    assert.deepEqual(await issuesOf(file), [
      '.env:3:1: services.web.env_file: expected KEY=value (KEY: letters, digits and "_")',
      '.env:4:1: services.web.env_file: B: unterminated double quote',
    ]);
  });
});

void describe('loadConfig accepts good configs', () => {
  void it('applies every key, resolves paths and merges env_file under env', async () => {
    const file = await writeConfig(
      [
        'services:',
        '  web:',
        '    command: node server.js --port 3000',
        '    cwd: ./web',
        '    env: { NODE_ENV: production, PORT: 3000, DEBUG: false }',
        '    env_file: .env',
        '    instances: 2',
        '    restart: on-failure',
        '    backoff: { initial: 250ms, max: 1m, reset_after: 1.5s }',
        '    start_limit: { burst: 3, interval: 2m }',
        '    min_uptime: 500',
        '    stop_signal: int',
        '    stop_timeout: 1h',
        '  db:',
        '    command: [redis-server, --port, "6390"]',
        '',
      ].join('\n'),
    );
    const base = join(file, '..');
    await mkdir(join(base, 'web'));
    await writeFile(join(base, '.env'), 'export NODE_ENV=development\nSECRET="a\\nb"\n');
    const web: ServiceSpec = {
      name: 'web',
      kind: 'service',
      onExit: 'continue',
      command: { kind: 'shell', script: 'node server.js --port 3000' },
      cwd: join(base, 'web'),
      env: { NODE_ENV: 'production', SECRET: 'a\nb', PORT: '3000', DEBUG: 'false' },
      instances: 2,
      restart: 'on-failure',
      backoff: { initialMs: 250, maxMs: 60_000, resetAfterMs: 1500 },
      startLimit: { burst: 3, intervalMs: 120_000 },
      minUptimeMs: 500,
      stopSignal: 'SIGINT',
      stopTimeoutMs: 3_600_000,
      logs: DEFAULT_LOG_SPEC,
      ready: null,
      watchdogMs: null,
      runtimeMaxMs: null,
      health: null,
      watch: null,
      schedule: null,
      dependsOn: [],
      privileges: DAEMON_PRIVILEGES,
      limits: NO_LIMITS,
      listen: [],
    };
    const db: ServiceSpec = {
      name: 'db',
      kind: 'service',
      onExit: 'continue',
      command: { kind: 'argv', argv: ['redis-server', '--port', '6390'] },
      cwd: base,
      env: {},
      instances: 1,
      restart: 'always',
      backoff: { initialMs: 100, maxMs: 30_000, resetAfterMs: 10_000 },
      startLimit: { burst: 5, intervalMs: 60_000 },
      minUptimeMs: 1000,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 10_000,
      logs: DEFAULT_LOG_SPEC,
      ready: null,
      watchdogMs: null,
      runtimeMaxMs: null,
      health: null,
      watch: null,
      schedule: null,
      dependsOn: [],
      privileges: DAEMON_PRIVILEGES,
      limits: NO_LIMITS,
      listen: [],
    };
    const loaded = await loadConfig(file);
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.config, { path: file, services: [web, db] });
    // What `up` sends the daemon (JSON over the socket) gives it the same config, without YAML.
    assert.deepEqual(loaded.source.order, ['web', 'db']);
    const sent = JSON.parse(JSON.stringify(loaded.source)) as ConfigSource;
    assert.deepEqual(await checkDocument(sent, file), loaded);
  });

  void it('reads JSON through the same path, keeping file order and places', async () => {
    const json =
      '{\n\t"services": {\n\t\t"2": {"command": ["b"]},\n\t\t"1": {"command": "a", "stop_signal": 9}\n\t}\n}\n';
    const good = await loadConfig(await writeConfig(json, 'warden.json'));
    assert.equal(good.ok, true);
    if (!good.ok) return;
    assert.deepEqual(good.source.order, ['2', '1'], 'the order survives integer-like names');
    assert.deepEqual(
      good.config.services.map((s) => [s.name, s.stopSignal]),
      [
        ['2', 'SIGTERM'],
        ['1', 'SIGKILL'],
      ],
    );
    const bad = await writeConfig(
      '{"services": {"web": {"command": "x", "instances": "2"}}}',
      'warden.json',
    );
    assert.deepEqual(await issuesOf(bad), [
      'warden.json:1:52: services.web.instances: expected a number, got a string ("2")',
    ]);
  });

  void it('parseConfig takes an injected env file reader', async () => {
    const file = join(dir, 'virtual.yaml');
    const read = (path: string) =>
      Promise.resolve(path === join(dir, 'x.env') ? 'A=from-file\nB=2\n' : '');
    const result = await parseConfig(
      'services:\n  a:\n    command: x\n    env_file: x.env\n    env: { B: 3 }\n',
      file,
      read,
    );
    assert.equal(result.ok, true);
    if (result.ok) assert.deepEqual(result.config.services[0]?.env, { A: 'from-file', B: '3' });
  });
});
