// `warden import pm2` and `warden import procfile` through bin/warden: the output loads with
// warden's own config loader and runs with `warden up`; every key without an exact equivalent
// is a note on stderr; broken or hanging sources are clear errors.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load, service } from '../helpers/imported.js';
import { ROOT, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import {
  HELLO_JS,
  PM2_BROKEN_JS,
  PM2_ECOSYSTEM_JS,
  PM2_ECOSYSTEM_JSON,
  PM2_HANGS_MJS,
  PM2_RUNNABLE_JS,
  PROCFILE,
} from '../fixtures/import/sources.js';

void describe('warden import pm2 / procfile', () => {
  let s: Sandbox;
  before(() => {
    s = sandbox();
    mkdirSync(s.dir, { recursive: true });
  });
  after(() => s.cleanup());

  void it('translates an ecosystem.config.js with --env, and notes every tricky key', async () => {
    s.config(PM2_ECOSYSTEM_JS, 'ecosystem.config.js');
    const r = await s.warden([
      'import',
      'pm2',
      'ecosystem.config.js',
      '--env',
      'production',
      '-o',
      'warden.yaml',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(join(s.dir, 'warden.yaml'), 'utf8');
    const config = await load(join(s.dir, 'warden.yaml'));
    const api = service(config, 'api');
    assert.deepEqual(api.command, { kind: 'shell', script: 'node ./server.js' });
    assert.equal(api.instances, 2);
    assert.equal(api.env.NODE_ENV, 'production');
    assert.equal(api.env.API_PORT, '8100');
    assert.equal(api.stopTimeoutMs, 4000);
    const worker = service(config, 'queue-worker');
    assert.deepEqual(worker.command, { kind: 'shell', script: 'python worker.py --queue mail' });
    assert.equal(worker.restart, 'on-failure');
    assert.equal(worker.backoff.initialMs, 2500);
    // cluster -> a note on listen: and LISTEN_FDS, never the key; memory as limits.memory.
    assert.match(r.stderr, /api: exec_mode: cluster: .*`listen:`.*LISTEN_FDS/);
    assert.doesNotMatch(text, /^\s*listen:/m);
    assert.equal(api.limits.memoryBytes, 250 * 1024 * 1024);
    for (const key of [
      'max_memory_restart: 250M',
      'cron_restart: "15 3',
      'watch: \\["lib"\\]',
      'out_file:',
      'deploy:',
      'NODE_APP_INSTANCE',
      'name: "queue worker"',
    ])
      assert.match(r.stderr, new RegExp(`note: .*ecosystem\\.config\\.js: .*${key}`), key);
    assert.match(r.stderr, /cron_restart.*15 3 \* \* \* warden restart queue-worker/);
    assert.match(text, /# note: exec_mode: cluster/);
  });

  void it('evaluates the JS file in another process, and the output runs with warden up', async () => {
    s.config(PM2_RUNNABLE_JS, 'hello.config.js');
    s.config(HELLO_JS, 'hello.js');
    const r = await s.warden([
      'import',
      'pm2',
      'hello.config.js',
      '--env',
      'staging',
      '-o',
      'hello.yaml',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const argv = JSON.parse(readFileSync(join(s.dir, 'evaluated-by.json'), 'utf8')) as string[];
    assert.ok(!argv.includes('import'), `evaluated by the CLI itself: ${argv.join(' ')}`);
    const up = await s.warden(['up', '-f', 'hello.yaml', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const out = await waitFor(
      'hello.out',
      () => existsSync(join(s.dir, 'hello.out')) && readFileSync(join(s.dir, 'hello.out'), 'utf8'),
    );
    assert.equal(out, 'staged --mark|one two');
    assert.equal((await s.warden(['down'])).code, 0);
  });

  void it('a JSON ecosystem: instances max, interpreter none, exponential backoff, wait_ready', async () => {
    s.config(PM2_ECOSYSTEM_JSON, 'ecosystem.json');
    const r = await s.warden(['import', 'pm2', 'ecosystem.json']);
    assert.equal(r.code, 0, r.stderr);
    const path = s.config(r.stdout, 'from-json.yaml');
    const web = service(await load(path), 'web');
    assert.deepEqual(web.command, { kind: 'shell', script: 'bin/www' });
    assert.equal(web.minUptimeMs, 5000);
    assert.equal(web.startLimit.burst, 10);
    assert.deepEqual([web.backoff.initialMs, web.backoff.maxMs], [200, 15_000]);
    assert.match(r.stderr, /instances: max: written as instances: \d+/);
    assert.match(r.stderr, /wait_ready: true: not translated; .*ready: \{notify: true\}/);
  });

  void it('a broken JS file is an error with its line, no stack trace; a hanging one times out', async () => {
    s.config(PM2_BROKEN_JS, 'broken.config.js');
    const broken = await s.warden(['import', 'pm2', 'broken.config.js']);
    assert.equal(broken.code, 2, broken.stderr);
    assert.match(broken.stderr, /broken\.config\.js:4: SyntaxError/);
    assert.doesNotMatch(broken.stderr, /\n\s+at /);
    s.config(PM2_HANGS_MJS, 'hangs.config.mjs');
    const hangs = await s.warden(['import', 'pm2', 'hangs.config.mjs'], { timeoutMs: 30_000 });
    assert.equal(hangs.code, 2, hangs.stderr);
    assert.match(hangs.stderr, /hangs\.config\.mjs: evaluating it did not end within 10s/);
  });

  void it('a Procfile with --port-base: the same services as up -f Procfile', async () => {
    s.config(PROCFILE, 'Procfile');
    writeFileSync(join(s.dir, '.env'), 'RACK_ENV=production\n');
    const r = await s.warden(['import', 'procfile', 'Procfile', '--port-base', '5000']);
    assert.equal(r.code, 0, r.stderr);
    const config = await load(s.config(r.stdout, 'procfile.yaml'));
    assert.deepEqual(
      config.services.map((x) => [x.name, x.env.PORT, x.env.RACK_ENV]),
      [
        ['web', '5000', 'production'],
        ['worker', '5100', 'production'],
      ],
    );
    assert.match(r.stderr, /foreman stops every process when one ends/);
  });

  void it('refuses to overwrite, names unknown formats, and stays out of the CLI bundles', async () => {
    const again = await s.warden(['import', 'procfile', 'Procfile', '-o', 'procfile.yaml']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; pass --force/);
    const unknown = await s.warden(['import', 'circus', 'Procfile']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /unknown format "circus"; use one of pm2, procfile, supervisord, process-compose/,
    );
    // The importer's code (and the ini parser) is in none of the bundles status, up and the daemon load.
    for (const bundle of ['cli/entry.js', 'cli/main.js', 'daemon/entry.js']) {
      const text = readFileSync(join(ROOT, 'dist/src', bundle), 'utf8');
      for (const needle of ['evaluating it did not end', 'readSupervisordConfig', 'bracketedArray'])
        assert.ok(!text.includes(needle), `${needle} in ${bundle}`);
    }
  });
});
