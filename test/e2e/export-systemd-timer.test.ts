// A schedule's cron expression as OnCalendar= (src/cli/commands/export-systemd-timer.ts): the
// times systemd computes for the calendar events written (`systemd-analyze calendar`) are the
// times croner, which runs the schedule under warden, computes for the expression.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Cron } from 'croner';
import { onCalendar } from '../../src/cli/commands/export-systemd-timer.js';
import { runProcess } from '../helpers/cli.js';

const ANALYZE = '/usr/bin/systemd-analyze';
const NO_ANALYZE = existsSync(ANALYZE) ? false : 'needs systemd-analyze (apt-get install systemd)';
const RUNS = 12;

const CASES: [cron: string, timezone: string | null][] = [
  ['*/15 * * * *', null],
  ['30 3 * * 1-5', 'Europe/Berlin'],
  // Both days restricted: cron runs on either (two events).
  ['0 12 1,15 * MON', null],
  ['0 0 * * 7', null],
  ['@weekly', null],
  ['@monthly', 'Asia/Tokyo'],
  ['*/20 * * * * *', null],
  ['0 9-17/2 * JAN,JUL,DEC *', 'America/New_York'],
  ['5/15 * * * *', null],
  ['0 0 29 2 *', null],
];

// The next RUNS times of the events, as systemd computes them (UTC).
async function systemdTimes(events: string[]): Promise<number[]> {
  const r = await runProcess(ANALYZE, ['calendar', `--iterations=${RUNS}`, ...events], {
    env: { ...process.env, TZ: 'UTC' },
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const times = [...r.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\S+) (\S+) UTC/g)].map(
    ([, date, time]) => Date.parse(`${date}T${time}Z`),
  );
  assert.ok(times.length >= RUNS, r.stdout);
  return [...new Set(times)].sort((a, b) => a - b).slice(0, RUNS);
}

void describe('a schedule as OnCalendar=', () => {
  for (const [cron, timezone] of CASES)
    void it(
      `${cron}${timezone === null ? '' : ` in ${timezone}`}`,
      { skip: NO_ANALYZE },
      async () => {
        const events = onCalendar(cron, timezone);
        assert.ok(events !== null, `no calendar event for ${cron}`);
        const from = new Date();
        const job = new Cron(cron, { paused: true, ...(timezone === null ? {} : { timezone }) });
        const croner = job.nextRuns(RUNS + 1, from).map((d) => d.getTime());
        job.stop();
        const systemd = await systemdTimes(events);
        // A time may pass between the two computations: croner's list then starts one earlier.
        const same = (list: number[]) => list.every((t, i) => t === systemd[i]);
        assert.ok(
          same(croner.slice(0, RUNS)) || same(croner.slice(1)),
          `${events.join(' | ')}\nsystemd: ${systemd.map((t) => new Date(t).toISOString()).join(' ')}\ncroner:  ${croner.map((t) => new Date(t).toISOString()).join(' ')}`,
        );
      },
    );

  void it('has no event for what a calendar cannot say (L, W, #)', () => {
    for (const cron of ['0 0 L * *', '0 0 * * 5#2', '0 0 15W * *', '61 * * * *', '* * *'])
      assert.equal(onCalendar(cron, null), null, cron);
  });
});
