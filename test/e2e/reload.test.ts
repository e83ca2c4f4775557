// `warden reload` (and SIGHUP) through the built CLI: only the difference between the running
// services and the file is applied, and the pids in `status --json` show what was touched.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';
import { isAlive } from '../helpers/procs.js';

// Seven services, one per kind of change the second version makes.
const BEFORE = `
services:
  same:
    command: [sleep, "600"]
    min_uptime: 100ms
  cmd:
    command: [sleep, "601"]
    min_uptime: 100ms
  envd:
    command: [sleep, "602"]
    env: { COLOR: red }
    min_uptime: 100ms
  envfile:
    command: [sleep, "603"]
    env_file: app.env
    min_uptime: 100ms
  dir:
    command: [sleep, "604"]
    cwd: one
    min_uptime: 100ms
  live:
    command: [sleep, "605"]
    min_uptime: 100ms
  gone:
    command: [sleep, "606"]
    min_uptime: 100ms
`;

// same as it was; cmd, envd and dir changed in what reaches the process (and envfile through
// its file); live only in live settings; gone removed; fresh added.
const AFTER = `
services:
  same:
    command: [sleep, "600"]
    min_uptime: 100ms
  cmd:
    command: [sleep, "611"]
    min_uptime: 100ms
  envd:
    command: [sleep, "602"]
    env: { COLOR: blue }
    min_uptime: 100ms
  envfile:
    command: [sleep, "603"]
    env_file: app.env
    min_uptime: 100ms
  dir:
    command: [sleep, "604"]
    cwd: two
    min_uptime: 100ms
  live:
    command: [sleep, "605"]
    min_uptime: 300ms
    restart: on-failure
    stop_timeout: 3s
    logs: { max_size: 1MB, keep: 2 }
  fresh:
    command: [sleep, "607"]
    min_uptime: 100ms
`;

const RESTARTED = ['cmd', 'envd', 'envfile', 'dir'];
const KEPT = ['same', 'live'];

/** Instance name -> pid (null without a process), in status order. */
async function pidsOf(s: Sandbox): Promise<Map<string, number | null>> {
  return new Map((await s.status()).instances.map((i) => [i.name, i.pid]));
}

/** Waits until every instance is running; returns their pids. */
async function allRunning(s: Sandbox): Promise<Map<string, number>> {
  return waitFor('every instance running', async () => {
    const r = await s.status();
    if (!r.instances.every((i) => i.state === 'running' && i.pid !== null)) return false;
    return new Map(r.instances.map((i) => [i.name, i.pid ?? 0]));
  });
}

function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

function pidIn(pids: Map<string, number | null>, name: string): number {
  const pid = pids.get(name);
  assert.ok(typeof pid === 'number', `${name} has a pid (${String(pid)})`);
  return pid;
}

/** A sandbox running BEFORE, with its env file and both cwds. */
async function upBefore(): Promise<{ s: Sandbox; pids: Map<string, number> }> {
  const s = sandbox();
  s.config(BEFORE);
  mkdirSync(join(s.dir, 'one'));
  mkdirSync(join(s.dir, 'two'));
  writeFileSync(join(s.dir, 'app.env'), 'LEVEL=1\n');
  const up = await s.warden(['up', '--wait']);
  assert.equal(up.code, 0, up.stderr);
  return { s, pids: await allRunning(s) };
}

/** Writes AFTER and the changed env file. */
function writeAfter(s: Sandbox): void {
  s.config(AFTER);
  writeFileSync(join(s.dir, 'app.env'), 'LEVEL=2\n');
}

// Checks that AFTER was applied to a sandbox whose pids were `before`.
async function assertApplied(s: Sandbox, before: Map<string, number>): Promise<void> {
  const now = await allRunning(s);
  assert.deepEqual(
    [...now.keys()],
    ['same', 'cmd', 'envd', 'envfile', 'dir', 'live', 'fresh'],
    'gone is no longer in status; fresh is, in config order',
  );
  const gone = pidIn(before, 'gone');
  assert.equal(isAlive(gone), false, `the process of the removed service (${gone}) is gone`);
  for (const name of KEPT) assert.equal(now.get(name), before.get(name), `${name} kept its pid`);
  for (const name of RESTARTED) {
    const old = pidIn(before, name);
    assert.notEqual(now.get(name), old, `${name} has a new pid`);
    assert.equal(isAlive(old), false, `the old process of ${name} (${old}) is gone`);
  }
  // The new processes run the new definitions.
  const cmdline = readFileSync(`/proc/${pidIn(now, 'cmd')}/cmdline`, 'utf8');
  assert.equal(cmdline, 'sleep\u0000611\u0000');
  assert.ok(environOf(pidIn(now, 'envd')).includes('COLOR=blue'));
  assert.ok(environOf(pidIn(now, 'envfile')).includes('LEVEL=2'));
  assert.equal(readlinkSync(`/proc/${pidIn(now, 'dir')}/cwd`), join(s.dir, 'two'));
}

void describe('warden reload', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('applies only the difference: added, removed, restarted, live, unchanged', async () => {
    const up = await upBefore();
    s = up.s;
    writeAfter(s);
    const r = await s.warden(['reload']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^warden: added: fresh$/m);
    assert.match(r.stdout, /^warden: removed \(stopped\): gone$/m);
    assert.match(r.stdout, /^warden: restarted: cmd, envd, envfile, dir$/m);
    assert.match(r.stdout, /^warden: changed, applied live: live$/m);
    assert.doesNotMatch(r.stdout, /\bsame\b/, 'an unchanged service is not reported');
    await assertApplied(s, up.pids);
    // The live settings are in force for the process that kept running: under its new
    // \`restart: on-failure\`, a SIGTERM is a clean end and it is not started again.
    process.kill(pidIn(up.pids, 'live'), 'SIGTERM');
    const live = await waitFor('live to end', async () => {
      const i = (await s.status()).instances.find((x) => x.name === 'live');
      return i !== undefined && i.state !== 'running' && i.state !== 'stopping' && i;
    });
    assert.equal(live.state, 'exited', JSON.stringify(live));
    assert.deepEqual(live.lastExit, { signal: 'SIGTERM', coreDumped: false });
    const again = await s.warden(['reload']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^warden: no change$/m);
  });

  void it('--dry-run prints the plan and changes nothing', async () => {
    const up = await upBefore();
    s = up.s;
    writeAfter(s);
    const r = await s.warden(['reload', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    for (const line of [
      'warden: would add and start: fresh',
      'warden: would stop and remove: gone',
      'warden: would restart: cmd, envd, envfile, dir',
      'warden: would apply live: live',
      'warden: unchanged: same',
    ])
      assert.ok(lines.includes(line), `"${line}" in:\n${r.stdout}`);
    const after = await pidsOf(s);
    assert.deepEqual(after, up.pids, 'same instances, same pids');
    for (const pid of up.pids.values()) assert.ok(isAlive(pid), `${pid} still runs`);
    // The plan was not carried out behind the scenes: a real reload still has all of it to do.
    const real = await s.warden(['reload']);
    assert.equal(real.code, 0, real.stderr);
    await assertApplied(s, up.pids);
  });

  void it('SIGHUP to the daemon applies the same difference', async () => {
    const up = await upBefore();
    s = up.s;
    writeAfter(s);
    process.kill(daemonPidOf(s.home), 'SIGHUP');
    await waitFor('the reload line in warden.log', () =>
      /reload: .*added \[fresh\]/.test(readFileSync(join(s.home, 'warden.log'), 'utf8')),
    );
    await assertApplied(s, up.pids);
  });

  void it('an instance-count change adds or removes instances and keeps the others', async () => {
    s = sandbox();
    const web = (n: number): string =>
      `services:\n  web:\n    command: [sleep, "600"]\n    instances: ${n}\n    min_uptime: 100ms\n`;
    s.config(web(2));
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const two = await allRunning(s);
    assert.deepEqual([...two.keys()], ['web:0', 'web:1']);

    s.config(web(3));
    const grow = await s.warden(['reload']);
    assert.equal(grow.code, 0, grow.stderr);
    assert.match(grow.stdout, /^warden: rescaled: web 2 -> 3$/m);
    const three = await allRunning(s);
    assert.deepEqual([...three.keys()], ['web:0', 'web:1', 'web:2']);
    assert.equal(three.get('web:0'), two.get('web:0'));
    assert.equal(three.get('web:1'), two.get('web:1'));
    const web2 = pidIn(three, 'web:2');
    assert.ok(environOf(web2).includes('WARDEN_INSTANCE=2'));

    s.config(web(1));
    const shrink = await s.warden(['reload']);
    assert.equal(shrink.code, 0, shrink.stderr);
    assert.match(shrink.stdout, /^warden: rescaled: web 3 -> 1$/m);
    const one = await pidsOf(s);
    assert.deepEqual([...one.entries()], [['web', two.get('web:0')]], 'web:0 is now "web"');
    for (const name of ['web:1', 'web:2']) {
      const pid = pidIn(three, name);
      assert.equal(isAlive(pid), false, `${name} (${pid}) was stopped`);
    }
    assert.equal((await s.status()).instances[0]?.state, 'running');
  });

  void it('an invalid config exits 2 with file:line:col and changes nothing', async () => {
    const up = await upBefore();
    s = up.s;
    // Would add, remove and change services, but one key is misspelt.
    const path = s.config(
      AFTER.replace(
        '  fresh:\n    command: [sleep, "607"]',
        '  fresh:\n    comand: [sleep, "607"]',
      ),
    );
    const r = await s.warden(['reload']);
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`${path}:\\d+:\\d+: services\\.fresh\\.comand: "comand" is not a known key`),
    );
    const line = AFTER.split('\n').findIndex((l) => l.includes('[sleep, "607"]')) + 1;
    assert.match(r.stderr, new RegExp(`${path}:${line}:5: services\\.fresh\\.comand`));
    assert.deepEqual(await pidsOf(s), up.pids, 'same instances, same pids');
    for (const pid of up.pids.values()) assert.ok(isAlive(pid), `${pid} still runs`);
    const dry = await s.warden(['reload', '--dry-run']);
    assert.equal(dry.code, 2, 'a dry run of it fails the same way');
    assert.deepEqual(await pidsOf(s), up.pids);
  });
});
