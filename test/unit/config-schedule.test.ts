// The schedule keys of a service: their defaults, and the config errors of a schedule on a
// service, a cron expression or time zone that does not parse, and a companion key alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scheduleIssues, toScheduleSpec } from '../../src/config/schedule.js';

void describe('schedule config', () => {
  void it('defaults overlap to skip, catch_up to false and the time zone to local', () => {
    assert.deepEqual(toScheduleSpec({ schedule: '*/5 * * * *' }), {
      cron: '*/5 * * * *',
      timezone: null,
      overlap: 'skip',
      catchUp: false,
    });
    assert.equal(toScheduleSpec({}), null);
  });

  void it('takes 5 fields, 6 with seconds, a time zone, on a task', async () => {
    const issues = await scheduleIssues({
      a: { kind: 'task', schedule: '*/5 * * * *' },
      b: { kind: 'task', schedule: '*/2 * * * * *', timezone: 'Europe/Berlin', overlap: 'queue' },
    });
    assert.deepEqual(issues, []);
  });

  void it('refuses a schedule on a service, saying to use kind: task', async () => {
    const [issue] = await scheduleIssues({ web: { kind: 'service', schedule: '* * * * *' } });
    assert.deepEqual(issue?.path, ['services', 'web', 'schedule']);
    assert.match(issue.message, /add kind: task/);
  });

  void it('refuses a bad expression, an unknown time zone, a companion key alone', async () => {
    const issues = await scheduleIssues({
      a: { kind: 'task', schedule: '61 * * * *', timezone: 'Mars/Base' },
      b: { kind: 'task', catch_up: true },
    });
    assert.deepEqual(
      issues.map((i) => i.path.join('.')),
      ['services.a.timezone', 'services.a.schedule', 'services.b.catch_up'],
    );
    assert.match(issues[1]?.message ?? '', /"61 \* \* \* \*" is not a cron expression/);
  });
});
