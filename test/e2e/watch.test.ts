// watch: a change under a watched path restarts the service, once per burst of changes and
// once for all changes made while a restart is under way; with a ready check the restart is
// rolling, and a change whose new instance fails leaves the old one serving and says so.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceStatus } from '../../src/core/status.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

async function main(s: Sandbox): Promise<InstanceStatus> {
  const i = (await s.status()).instances.find((x) => x.name === 'web');
  assert.ok(i !== undefined);
  return i;
}

// The pids of the runs so far (each run of src/app.sh appends its pid to `runs`).
function runs(s: Sandbox): number[] {
  const path = join(s.dir, 'runs');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map(Number);
}

function writeApp(s: Sandbox, body: string): void {
  mkdirSync(join(s.dir, 'src'), { recursive: true });
  writeFileSync(join(s.dir, 'src', 'app.sh'), `echo $$ >> runs\n${body}\n`);
}

// Settled: no restart for the change under way and none pending.
async function settled(s: Sandbox, what: string): Promise<InstanceStatus> {
  return waitFor(
    what,
    async () => {
      const i = await main(s);
      return i.state === 'running' && i.watch?.applying === false && i;
    },
    30_000,
  );
}

void describe('watch', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('restarts once per burst of edits, and once for edits during a restart', async () => {
    s = sandbox();
    // A slow stop (2 s after SIGTERM), so that edits land while the restart is under way.
    writeApp(s, `trap 'sleep 2; exit 0' TERM\nwhile :; do sleep 0.05; done`);
    s.config(`
services:
  web:
    command: [sh, src/app.sh]
    min_uptime: 100ms
    watch: { paths: [src], ignore: ["*.log"], debounce: 300ms }
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const first = await main(s);
    assert.deepEqual(first.watch, { applying: false, lastChangeAt: null, notApplied: null });
    await waitFor('the first run recorded', () => runs(s).length === 1);
    // A burst: five edits 50 ms apart, less than the debounce.
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(s.dir, 'src', 'data.txt'), `edit ${i}\n`);
      await sleep(50);
    }
    await waitFor('the restart begun', async () => (await main(s)).state === 'stopping', 10_000);
    // Two bursts while the old run takes its time to stop: one restart more for both.
    writeFileSync(join(s.dir, 'src', 'more-0.txt'), 'x\n');
    await sleep(400);
    writeFileSync(join(s.dir, 'src', 'more-1.txt'), 'x\n');
    await waitFor('three runs', () => runs(s).length === 3, 30_000);
    const after = await settled(s, 'the restarts done');
    assert.equal(after.pid, runs(s)[2]);
    assert.ok(after.watch?.lastChangeAt !== null);
    // An ignored file changes nothing; the next real edit makes exactly one restart more.
    writeFileSync(join(s.dir, 'src', 'debug.log'), 'noise\n');
    writeFileSync(join(s.dir, 'src', 'data.txt'), 'last\n');
    await waitFor('four runs', () => runs(s).length === 4, 30_000);
    await settled(s, 'the last restart done');
    assert.equal(runs(s).length, 4, `runs: ${runs(s).join(',')}`);
    // Each restart says why: the files, not a user.
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.equal(
      log.match(/running -> stopping \(restart \(files changed\): SIGTERM\)/g)?.length,
      3,
      log,
    );
    assert.doesNotMatch(log, /restart by user/);
  });

  void it('a change whose new instance fails leaves the old one serving', async () => {
    s = sandbox();
    writeApp(s, 'echo ready\nexec sleep 300');
    s.config(`
services:
  web:
    command: [sh, src/app.sh]
    ready: { log: "^ready$", timeout: 10s }
    start_limit: { burst: 1, interval: 60s }
    watch: { paths: [src], debounce: 200ms }
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const old = await main(s);
    writeApp(s, 'echo "Error: broken build" >&2\nexit 1');
    const kept = await waitFor(
      'the change refused',
      async () => {
        const i = await main(s);
        return i.watch?.notApplied != null && i.watch.applying === false && i;
      },
      30_000,
    );
    assert.equal(kept.pid, old.pid);
    assert.equal(kept.state, 'running');
    // With its telling stderr line: what a user needs to fix it.
    assert.equal(kept.watch?.notApplied, 'new instance failed (exit 1): Error: broken build');
    const table = await s.warden(['status']);
    assert.match(
      table.stdout,
      /change not applied: new instance failed \(exit 1\): Error: broken build/,
    );
    assert.equal((await s.status()).instances.length, 1, 'the extra instance is gone');
    // A fix is applied: a new instance replaces the old one, and the note is gone.
    writeApp(s, 'echo ready\nexec sleep 300');
    const fixed = await waitFor(
      'the fix applied',
      async () => {
        const i = await main(s);
        return i.pid !== old.pid && i.state === 'running' && i.watch?.applying === false && i;
      },
      30_000,
    );
    assert.equal(fixed.watch?.notApplied, null);
  });

  void it('refuses a bad watch, naming the key', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    command: exec sleep 300
    watch: { paths: src, debounce: soon }
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2);
    assert.match(up.stderr, /services\.web\.watch\.paths: expected a list of paths/);
    assert.match(up.stderr, /services\.web\.watch\.debounce/);
  });
});
