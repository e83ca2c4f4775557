// Scheduled tasks (`schedule`) through bin/warden: a job every 2 s runs again and again, an
// overlapping run is skipped, status shows the next run and the last runs, `catch_up` runs a
// missed job when a daemon starts, and a schedule on a service is refused.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import { readState, writeState } from '../../src/daemon/state-file.js';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';

async function job(s: Sandbox): Promise<InstanceStatus | undefined> {
  return (await s.status()).instances.find((i) => i.name === 'job');
}

// The lines of runs.txt, one per run.
function runs(s: Sandbox): string[] {
  const file = join(s.dir, 'runs.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

// Never two runs at once: every `start` in runs.txt is followed by its `end` before the next.
function assertOneAtATime(lines: string[]): void {
  for (let i = 0; i + 1 < lines.length; i++)
    if (lines[i] === 'start') assert.equal(lines[i + 1], 'end', lines.join(','));
}

void describe('schedule', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('runs a task every 2 s; status shows the next run and the last runs', async () => {
    s = sandbox();
    s.config(`
services:
  job:
    kind: task
    schedule: "*/2 * * * * *"
    command: echo run >> runs.txt
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    // `up` runs no scheduled task itself, and says so rather than "all were running".
    assert.match(up.stdout, /^warden: started nothing \(all were running\)$/m, up.stdout);
    assert.match(up.stdout, /^warden: scheduled job \(at its schedule; "warden start job"/m);
    // About 7 s for 3 runs, with room for a loaded machine.
    await waitFor('3 runs', () => runs(s).length >= 3, 15_000);
    const st = await waitFor('3 runs in status', async () => {
      const j = await job(s);
      return (j?.schedule?.lastRuns.length ?? 0) >= 3 && j;
    });
    const schedule = st.schedule;
    assert.ok(schedule !== null && schedule !== undefined);
    assert.equal(schedule.cron, '*/2 * * * * *');
    assert.ok((schedule.nextRunAt ?? 0) > Date.now() - 2000, 'a next run to come');
    for (const run of schedule.lastRuns) {
      assert.deepEqual(run.exit, { code: 0 });
      assert.ok(run.durationMs !== null && run.durationMs >= 0);
    }
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(log, /job: \w+ -> starting \(scheduled run\)/);
    const table = await s.warden(['status']);
    assert.match(table.stdout, /next run: in \d/);
    assert.match(table.stdout, /last run: .*exit 0/);
  });

  void it('overlap: skip leaves out a run while the last still runs', async () => {
    s = sandbox();
    // Each run lasts 5 s: the runs due 2 s and 4 s after one started find it still running.
    s.config(`
services:
  job:
    kind: task
    schedule: "*/2 * * * * *"
    overlap: skip
    command: echo start >> runs.txt; sleep 5; echo end >> runs.txt
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const st = await waitFor(
      'a skipped run',
      async () => {
        const j = await job(s);
        return (j?.schedule?.skipped ?? 0) >= 1 && j;
      },
      15_000,
    );
    assert.equal(st.state, 'running');
    // Never two at once: every start is followed by its end before the next start.
    await waitFor('a second run', () => runs(s).filter((l) => l === 'start').length >= 2, 20_000);
    assertOneAtATime(runs(s));
  });

  void it('overlap: queue runs a time that came during a run once that run ends', async () => {
    s = sandbox();
    s.config(`
services:
  job:
    kind: task
    schedule: "*/2 * * * * *"
    overlap: queue
    command: echo start >> runs.txt; sleep 3; echo end >> runs.txt
`);
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor('a queued run', async () => (await job(s))?.schedule?.queued === true, 15_000);
    await waitFor('the queued run', () => runs(s).filter((l) => l === 'start').length >= 2, 15_000);
    assertOneAtATime(runs(s));
  });

  void it('overlap: replace stops the run still running and runs anew', async () => {
    s = sandbox();
    s.config(`
services:
  job:
    kind: task
    schedule: "*/2 * * * * *"
    overlap: replace
    stop_timeout: 2s
    command: echo start >> runs.txt; sleep 5; echo end >> runs.txt
`);
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor('a second start', () => runs(s).filter((l) => l === 'start').length >= 2, 15_000);
    assert.deepEqual(
      runs(s).slice(0, 2),
      ['start', 'start'],
      'the first run never ended on its own',
    );
  });

  void it('reload applies a new schedule live', async () => {
    s = sandbox();
    const config = (cron: string) => `
services:
  job:
    kind: task
    schedule: "${cron}"
    command: echo run >> runs.txt
`;
    s.config(config('0 0 1 1 *'));
    assert.equal((await s.warden(['up'])).code, 0);
    assert.equal((await job(s))?.schedule?.cron, '0 0 1 1 *');
    s.config(config('*/2 * * * * *'));
    const reload = await s.warden(['reload']);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal((await job(s))?.schedule?.cron, '*/2 * * * * *');
    await waitFor('runs at the new times', () => runs(s).length >= 2, 15_000);
  });

  void it('catch_up runs a job missed while no daemon ran, once, at start-up', async () => {
    s = sandbox();
    s.config(`
services:
  job:
    kind: task
    schedule: "0 * * * *"
    catch_up: true
    command: echo run >> runs.txt
`);
    assert.equal((await s.warden(['up'])).code, 0);
    assert.deepEqual(runs(s), [], 'a scheduled task waits for its time, up does not run it');
    assert.equal((await s.warden(['start', 'job'])).code, 0);
    await waitFor('run now', () => runs(s).length === 1);
    const path = join(s.home, 'state.json');
    const saved = await waitFor('state.json has the run ended', async () => {
      const read = await readState(path);
      return read.kind === 'ok' && JSON.stringify(read.state).includes('"state":"exited"') && read;
    });
    process.kill(daemonPidOf(s.home), 'SIGKILL');
    await waitFor('the daemon gone', async () => (await s.warden(['status'])).code === 3);
    // As if the daemon had been gone for 2 hours: an hourly run was missed.
    const state = saved.state;
    for (const svc of state.services)
      for (const i of svc.instances) if (i.runStartedAt !== null) i.runStartedAt -= 2 * 3600_000;
    await writeState(path, state);
    assert.equal((await s.warden(['up'])).code, 0);
    await waitFor('the missed run', () => runs(s).length === 2);
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(log, /job: exited -> starting \(catch_up: a scheduled run was missed/);
    await waitFor('done', async () => (await job(s))?.state === 'exited');
  });

  void it('a schedule on a service is a config error that says to use kind: task', async () => {
    s = sandbox();
    s.config(`
services:
  web:
    schedule: "*/5 * * * *"
    command: sleep 600
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2);
    assert.match(up.stderr, /schedule/);
    assert.match(up.stderr, /kind: task/);
  });

  void it('a cron expression that does not parse is a config error', async () => {
    s = sandbox();
    s.config(`
services:
  job:
    kind: task
    schedule: "*/5 * *"
    command: "true"
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2);
    assert.match(up.stderr, /services\.job\.schedule/);
  });
});
