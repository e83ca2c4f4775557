// `warden import pm2 --running` against a real PM2 (the pm2 package of devDependencies) in a
// PM2_HOME of its own: the apps it runs come back as services; its daemon is killed at the end.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { ROOT, runProcess, WARDEN } from '../helpers/cli.js';
import { HELLO_JS } from '../fixtures/import/sources.js';

const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2');

void describe('warden import pm2 --running', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-pm2-'));
  const env = {
    ...process.env,
    PM2_HOME: join(dir, 'pm2-home'),
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
  };
  const pm2 = (args: string[]) => runProcess(PM2, args, { env, cwd: dir, timeoutMs: 60_000 });

  before(async () => {
    writeFileSync(join(dir, 'hello.js'), HELLO_JS);
    const started = await pm2([
      'start',
      'hello.js',
      '--name',
      'hello',
      '--kill-timeout',
      '3000',
      '--',
      '--mark',
      'x',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const cluster = await pm2(['start', 'hello.js', '--name', 'api', '-i', '2']);
    assert.equal(cluster.code, 0, cluster.stderr);
  });

  after(async () => {
    await pm2(['kill']);
    try {
      const pid = Number(readFileSync(join(dir, 'pm2-home', 'pm2.pid'), 'utf8'));
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // pm2 kill took it down
    }
    rmSync(dir, { recursive: true, force: true });
  });

  void it('reads "pm2 jlist": one service per app, its script, args and kill timeout', async () => {
    const r = await runProcess(WARDEN, ['import', 'pm2', '--running'], { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const loaded = await parseConfig(r.stdout, join(dir, 'warden.yaml'));
    assert.ok(loaded.ok, JSON.stringify(loaded));
    const byName = new Map(loaded.config.services.map((s) => [s.name, s]));
    const hello = byName.get('hello');
    assert.ok(hello);
    assert.deepEqual(hello.command, {
      kind: 'shell',
      script: `node ${join(dir, 'hello.js')} --mark x`,
    });
    assert.equal(hello.stopTimeoutMs, 3000);
    assert.equal(byName.get('api')?.instances, 2);
    assert.match(r.stderr, /api: exec_mode: cluster_mode: .*LISTEN_FDS/);
    // PM2's own variables and this shell's are not copied into env.
    for (const s of loaded.config.services)
      for (const key of Object.keys(s.env))
        assert.doesNotMatch(key, /^(PM2_HOME|PATH|HOME|pm_id)$/);
  });

  void it('says so when pm2 is not in PATH', async () => {
    // A PATH with node only (bin/warden needs it).
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = await runProcess(WARDEN, ['import', 'pm2', '--running'], {
      env: { ...env, PATH: bin },
      cwd: dir,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"pm2 jlist" failed: pm2 is not in PATH/);
  });
});
