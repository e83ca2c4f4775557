// `warden export systemd`: the units it writes for a config that uses most keys pass
// `systemd-analyze verify` with nothing to say (it exits 0 even for a key it ignores, so its
// stderr must be empty too), say what warden would do, and the keys without an equivalent are
// listed on stderr. It never writes over a file it did not write.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { runProcess, sandbox, type Sandbox } from '../helpers/cli.js';

const ANALYZE = '/usr/bin/systemd-analyze';
const NO_ANALYZE = existsSync(ANALYZE) ? false : 'needs systemd-analyze (apt-get install systemd)';

const CONFIG = `
services:
  db:
    command: [sleep, "600"]
    ready: { notify: true, timeout: 20s }
    user: daemon
  web:
    command: ./server.sh --port 80
    instances: 2
    env: { NODE_ENV: production, SHARE: "50%", PRICE: "$5 a month" }
    env_file: app.env
    user: daemon
    group: daemon
    umask: "027"
    capabilities: [CAP_NET_BIND_SERVICE]
    no_new_privileges: true
    depends_on: [db]
    ready: { tcp: 80 }
    stop_signal: SIGINT
    stop_timeout: 30s
  job:
    command: 'echo "$HOME"; exec sleep 3600'
    restart: on-failure
    watchdog: 30s
`;

void describe('warden export systemd', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it(
    'writes units that systemd-analyze verify accepts without a word',
    { skip: NO_ANALYZE },
    async () => {
      s = sandbox();
      s.config(CONFIG);
      writeFileSync(join(s.dir, 'app.env'), 'A=1\n');
      writeFileSync(join(s.dir, 'server.sh'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
      const out = join(s.dir, 'units');
      const r = await s.warden(['export', 'systemd', '--dir', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /enable --now db\.service web@0\.service web@1\.service job\.service/);
      const unit = (name: string): string => readFileSync(join(out, name), 'utf8');
      const web = unit('web@.service');
      for (const line of [
        'Requires=db.service',
        'After=db.service',
        'ExecStart=/bin/sh -c "./server.sh --port 80"',
        `EnvironmentFile=${join(s.dir, 'app.env')}`,
        'Environment="SHARE=50%%"',
        'Environment="PRICE=$5 a month"',
        'Environment=WARDEN_INSTANCE=%i',
        'User=daemon',
        'Group=daemon',
        'UMask=0027',
        'NoNewPrivileges=yes',
        'AmbientCapabilities=CAP_NET_BIND_SERVICE',
        'KillSignal=SIGINT',
        'TimeoutStopSec=30s',
        'Type=exec',
      ])
        assert.ok(web.split('\n').includes(line), `web@.service has ${line}:\n${web}`);
      assert.match(unit('db.service'), /^Type=notify$/m);
      assert.match(unit('db.service'), /^TimeoutStartSec=20s$/m);
      const job = unit('job.service');
      assert.match(job, /^ExecStart=\/bin\/sh -c "echo \\"\$\$HOME\\"; exec sleep 3600"$/m);
      assert.match(job, /^Restart=on-failure$/m);
      assert.match(job, /^WatchdogSec=30s$/m);
      assert.match(r.stderr, /services\.web\.ready: a tcp check has no systemd equivalent/);
      assert.match(r.stderr, /services\.job\.logs: output goes to the journal/);

      const verify = await runProcess(
        ANALYZE,
        ['verify', 'db.service', 'web@.service', 'web@1.service', 'job.service'],
        { cwd: out, env: { ...process.env, SYSTEMD_UNIT_PATH: `${out}:` }, timeoutMs: 60_000 },
      );
      assert.equal(verify.code, 0, verify.stderr);
      assert.equal(verify.stderr.trim(), '', 'systemd-analyze had something to say');
    },
  );

  void it(
    'writes a task as a oneshot that stays active, a scheduled one with its timer, completed as Wants=, and lists health',
    { skip: NO_ANALYZE },
    async () => {
      s = sandbox();
      s.config(`
services:
  migrate:
    kind: task
    command: ["true"]
  seed:
    kind: task
    command: ["true"]
    restart: always
    runtime_max: 10m
    schedule: "0 * * * *"
    catch_up: true
    overlap: replace
  web:
    command: [sleep, "600"]
    depends_on: { migrate: succeeded, seed: completed }
    health: { tcp: 80, interval: 5s, failures: 4 }
`);
      const out = join(s.dir, 'units');
      const r = await s.warden(['export', 'systemd', '--dir', out]);
      assert.equal(r.code, 0, r.stderr);
      const lines = (name: string): string[] => readFileSync(join(out, name), 'utf8').split('\n');
      for (const line of ['Type=oneshot', 'RemainAfterExit=yes', 'TimeoutStartSec=infinity'])
        assert.ok(lines('migrate.service').includes(line), `migrate.service has ${line}`);
      assert.ok(lines('migrate.service').includes('Restart=no'));
      assert.ok(lines('seed.service').includes('TimeoutStartSec=600s'));
      // Scheduled: started by its timer, as often as its times come, never at boot.
      assert.ok(!lines('seed.service').includes('RemainAfterExit=yes'));
      assert.ok(!lines('seed.service').includes('[Install]'));
      for (const line of [
        'OnCalendar=*-*-* *:00:00',
        'Unit=seed.service',
        'Persistent=true',
        'WantedBy=timers.target',
      ])
        assert.ok(lines('seed.timer').includes(line), `seed.timer has ${line}`);
      assert.match(r.stdout, /enable --now migrate\.service seed\.timer web\.service/);
      assert.match(r.stderr, /services\.seed\.overlap: "replace" has no equivalent/);
      assert.ok(lines('seed.service').includes('Restart=on-failure'));
      assert.match(
        r.stderr,
        /services\.seed\.restart: "always": a oneshot unit restarts only on-failure/,
      );
      const web = lines('web.service');
      for (const line of [
        'Requires=migrate.service',
        'Wants=seed.service',
        'After=migrate.service seed.service',
        'Type=exec',
      ])
        assert.ok(web.includes(line), `web.service has ${line}:\n${web.join('\n')}`);
      assert.ok(!web.some((l) => l.startsWith('Requires=') && l.includes('seed')));
      assert.match(r.stderr, /services\.web\.health: no equivalent: systemd has no liveness probe/);
      assert.doesNotMatch(r.stderr, /services\.seed\.schedule/);
      assert.match(r.stderr, /services\.migrate\.min_uptime: no equivalent: a oneshot unit/);
      const verify = await runProcess(
        ANALYZE,
        ['verify', 'migrate.service', 'seed.service', 'seed.timer', 'web.service'],
        { cwd: out, env: { ...process.env, SYSTEMD_UNIT_PATH: `${out}:` }, timeoutMs: 60_000 },
      );
      assert.equal(verify.code, 0, verify.stderr);
      assert.equal(verify.stderr.trim(), '', 'systemd-analyze had something to say');
    },
  );

  void it('prints the units without --dir, and never writes over a file it did not write', async () => {
    s = sandbox();
    s.config(CONFIG);
    writeFileSync(join(s.dir, 'app.env'), 'A=1\n');
    const printed = await s.warden(['export', 'systemd', '--prefix', 'app-']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^# ==> app-web@\.service <==$/m);
    assert.match(printed.stdout, /^Requires=app-db\.service$/m);
    const out = join(s.dir, 'units');
    await s.warden(['export', 'systemd', '--dir', out]);
    writeFileSync(join(out, 'db.service'), '[Unit]\nDescription=mine\n');
    const again = await s.warden(['export', 'systemd', '--dir', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /db\.service exists and was not written by "warden export"/);
    assert.equal(readFileSync(join(out, 'db.service'), 'utf8'), '[Unit]\nDescription=mine\n');
  });

  void it('a broken config gets its line and writes nothing', async () => {
    s = sandbox();
    s.config('services:\n  web:\n    command: [sleep, "1"]\n    restrat: always\n');
    const r = await s.warden(['export', 'systemd', '--dir', join(s.dir, 'units')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /warden\.yaml:4:5: services\.web/);
    assert.equal(existsSync(join(s.dir, 'units')), false);
  });
});
