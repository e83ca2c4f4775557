// `warden import supervisord` and `warden import process-compose` through bin/warden: includes,
// expansions, numprocs and groups; depends_on conditions and probes; the output loads with
// warden's config loader and runs with `warden up`; broken files are errors with their line.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load, service } from '../helpers/imported.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import {
  PROCESS_COMPOSE_BROKEN,
  PROCESS_COMPOSE_RUNNABLE,
  PROCESS_COMPOSE_YAML,
  SUPERVISORD_BEAT_CONF,
  SUPERVISORD_BROKEN,
  SUPERVISORD_CONF,
  SUPERVISORD_RUNNABLE,
} from '../fixtures/import/sources.js';

const read = (path: string) => existsSync(path) && readFileSync(path, 'utf8').trim();

void describe('warden import supervisord / process-compose', () => {
  let s: Sandbox;
  before(() => {
    s = sandbox();
    mkdirSync(join(s.dir, 'conf.d'), { recursive: true });
    mkdirSync(join(s.dir, 'api'), { recursive: true });
    s.env.WARDEN_TEST_LEVEL = 'info';
    // The YAML is read back here, where `${WARDEN_TEST_LEVEL}` is interpolated as by a daemon.
    process.env.WARDEN_TEST_LEVEL = 'info';
  });
  after(async () => {
    delete process.env.WARDEN_TEST_LEVEL;
    await s.cleanup();
  });

  void it('supervisord: include, expansions, numprocs, groups, autorestart=unexpected', async () => {
    s.config(SUPERVISORD_CONF, 'supervisord.conf');
    s.config(SUPERVISORD_BEAT_CONF, 'conf.d/beat.conf');
    const r = await s.warden(['import', 'supervisord', 'supervisord.conf', '-o', 'sup.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      readFileSync(join(s.dir, 'sup.yaml'), 'utf8'),
      /--loglevel=\$\{WARDEN_TEST_LEVEL\}/,
    );
    const config = await load(join(s.dir, 'sup.yaml'));
    const celery = service(config, 'celery');
    assert.deepEqual(celery.command, {
      kind: 'shell',
      script:
        'celery -A shop worker --loglevel=info -n worker$(printf %02d $((WARDEN_INSTANCE + 1)))@%h',
    });
    assert.equal(celery.instances, 3);
    assert.equal(celery.cwd, s.dir);
    assert.deepEqual(celery.env, { C_FORCE_ROOT: 'false', QUEUES: 'default, mail' });
    assert.equal(celery.restart, 'on-failure');
    assert.equal(celery.minUptimeMs, 5000);
    assert.equal(celery.startLimit.burst, 4);
    assert.equal(celery.stopSignal, 'SIGQUIT');
    assert.equal(celery.stopTimeoutMs, 20_000);
    // [supervisord] minfds and minprocs: the rlimits every program inherited from supervisord.
    assert.deepEqual(celery.limits.rlimits, [{ resource: 'nofile', soft: 4096, hard: 4096 }]);
    assert.match(r.stderr, /\[supervisord\] minfds=4096: written as limits: \{nofile: 4096\}/);
    const beat = service(config, 'beat');
    assert.deepEqual(beat.command, {
      kind: 'shell',
      script: 'celery -A shop beat --schedule=/tmp/beat#1',
    });
    for (const note of [
      /supervisord\.conf:17: celery: exitcodes: "0,2": written as restart: on-failure; .*exit with 2 is restarted/,
      /supervisord\.conf:27: \[group:queue\] programs: celery,beat: no group written; .*warden restart celery beat/,
      /supervisord\.conf:2: \[unix_http_server\]: not translated/,
      /supervisord\.conf:25: celery: priority: 200: not translated/,
      /supervisord\.conf:24: celery: stdout_logfile: .*not translated/,
      /conf\.d\/beat\.conf:3: beat: autostart: false: not translated/,
      /supervisord\.conf:10: celery: command: .*each instance gets its own number/,
    ])
      assert.match(r.stderr, note);
  });

  void it('supervisord: the output runs, each instance with its own process_num', async () => {
    s.config(SUPERVISORD_RUNNABLE, 'counter.conf');
    const r = await s.warden(['import', 'supervisord', 'counter.conf', '-o', 'counter.yaml']);
    assert.equal(r.code, 0, r.stderr);
    const up = await s.warden(['up', '-f', 'counter.yaml', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await waitFor('out-1', () => read(join(s.dir, 'out-1.txt'))), 'counter-01');
    assert.equal(await waitFor('out-2', () => read(join(s.dir, 'out-2.txt'))), 'counter-02');
    assert.equal((await s.warden(['down'])).code, 0);
  });

  void it('supervisord: a malformed line or unknown expansion is an error with its line', async () => {
    s.config(SUPERVISORD_BROKEN, 'broken.conf');
    const r = await s.warden(['import', 'supervisord', 'broken.conf']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken\.conf:3: expected "key = value", got "this is not a key"/);
    s.config('[program:x]\ncommand=run %(nope)s\n', 'unknown.conf');
    const u = await s.warden(['import', 'supervisord', 'unknown.conf']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown\.conf:2: %\(nope\)s names nothing supervisord knows/);
    assert.doesNotMatch(r.stderr + u.stderr, /\n\s+at /);
  });

  void it('process-compose: conditions, probes, availability, replicas', async () => {
    s.config(PROCESS_COMPOSE_YAML, 'process-compose.yaml');
    const r = await s.warden([
      'import',
      'process-compose',
      'process-compose.yaml',
      '-o',
      'pc.yaml',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /liveness_probe|exit_on_end|condition: process_completed/);
    const config = await load(join(s.dir, 'pc.yaml'));
    const db = service(config, 'db');
    assert.equal(db.ready?.check.kind, 'exec');
    assert.equal(db.ready?.intervalMs, 5000);
    assert.equal(db.ready?.timeoutMs, 32_000);
    assert.equal(db.stopSignal, 'SIGINT');
    assert.equal(db.restart, 'never');
    const migrate = service(config, 'migrate');
    assert.deepEqual(migrate.dependsOn, [{ service: 'db', condition: 'running' }]);
    assert.equal(migrate.kind, 'task', 'api waits for it to complete');
    const api = service(config, 'api');
    assert.equal(api.instances, 2);
    assert.equal(api.cwd, join(s.dir, 'api'));
    assert.equal(api.env.APP_ENV, 'dev');
    assert.equal(api.restart, 'on-failure');
    assert.equal(api.backoff.initialMs, 3000);
    assert.deepEqual(api.ready?.check, { kind: 'http', url: 'http://127.0.0.1:8080/healthz' });
    assert.deepEqual(api.dependsOn, [{ service: 'migrate', condition: 'succeeded' }]);
    assert.deepEqual(api.health, {
      check: { kind: 'http', url: 'http://127.0.0.1:8080/live' },
      intervalMs: 5000,
      timeoutMs: 1000,
      failures: 4,
      startPeriodMs: 0,
    });
    const web = service(config, 'web');
    assert.deepEqual(web.ready?.check, { kind: 'log', pattern: 'ready in' });
    assert.deepEqual(web.dependsOn, [{ service: 'api', condition: 'started' }]);
    assert.equal(web.onExit, 'shutdown', 'availability.exit_on_end');
    for (const note of [
      /log_location: .*not translated/,
      /db: shutdown|db: readiness_probe: .*written as ready/,
    ])
      assert.match(r.stderr, note);
  });

  void it('process-compose: the output runs, b after a is ready', async () => {
    s.config(PROCESS_COMPOSE_RUNNABLE, 'runnable-pc.yaml');
    const r = await s.warden([
      'import',
      'process-compose',
      'runnable-pc.yaml',
      '-o',
      'runnable.yaml',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const up = await s.warden(['up', '-f', 'runnable.yaml', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await waitFor('b.out', () => read(join(s.dir, 'b.out'))), 'b after a');
    assert.equal((await s.warden(['down'])).code, 0);
  });

  void it('process-compose: broken YAML is an error with its line', async () => {
    s.config(PROCESS_COMPOSE_BROKEN, 'broken-pc.yaml');
    const r = await s.warden(['import', 'process-compose', 'broken-pc.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken-pc\.yaml:\d+:\d+: Missing closing "quote/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    writeFileSync(join(s.dir, 'empty-pc.yaml'), 'version: "0.5"\n');
    const e = await s.warden(['import', 'process-compose', 'empty-pc.yaml']);
    assert.equal(e.code, 2);
    assert.match(e.stderr, /empty-pc\.yaml: has no "processes:" map/);
  });
});
