// The lines `warden status` prints under an instance: its STATUS= text fitted to the terminal
// and made safe for it, and the telling stderr lines rather than the raw tail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPercent, renderTable } from '../../src/cli/commands/status.js';
import type { InstanceStatus } from '../../src/core/status.js';

const NOW = 1_800_000_000_000;

function instance(fields: Partial<InstanceStatus>): InstanceStatus {
  return {
    name: 'web',
    service: 'web',
    kind: 'service',
    state: 'running',
    pid: 42,
    since: NOW - 5000,
    restarts: 0,
    lastExit: null,
    nextRestartAt: null,
    attempt: null,
    reason: null,
    ranMs: null,
    lastStderr: [],
    stderrSummary: [],
    readySource: 'notify',
    statusText: null,
    waiting: null,
    startedAt: NOW - 5000,
    tree: null,
    logs: { droppedLines: 0, error: null },
    health: null,
    watch: null,
    schedule: null,
    ...fields,
  };
}

void describe('renderTable', () => {
  void it('shows the STATUS= text under its instance, whole off a terminal', () => {
    const text = `serving ${'x'.repeat(100)}`;
    const table = renderTable([instance({ statusText: text })], NOW);
    assert.equal(table.split('\n')[2], `    status: ${text}`);
  });

  void it('cuts the STATUS= text to the terminal width', () => {
    const table = renderTable([instance({ statusText: 'y'.repeat(300) })], NOW, 40);
    const line = table.split('\n')[2] ?? '';
    assert.equal(line, `    status: ${'y'.repeat(27)}…`);
    assert.equal([...line].length, 40);
  });

  void it('escapes control characters of the STATUS= text', () => {
    const table = renderTable([instance({ statusText: 'a\u001b[2Jb\u009bc' })], NOW);
    assert.equal(table.split('\n')[2], '    status: a\\x1b[2Jb\\x9bc');
  });

  void it('shows a task that succeeded as done, with how long it ran', () => {
    const done = { state: 'exited', pid: null, startedAt: null, lastExit: { code: 0 } } as const;
    const task = renderTable([instance({ ...done, kind: 'task', ranMs: 1234 })], NOW);
    assert.match(task.split('\n')[1] ?? '', /^web\s+done \(1\.2s\)\s+-/);
    const service = renderTable([instance({ ...done, ranMs: 1234 })], NOW);
    assert.match(service.split('\n')[1] ?? '', /^web\s+exited\s+-/);
  });

  void it('shows the telling stderr lines, not the raw tail', () => {
    const down = instance({
      state: 'exited',
      pid: null,
      startedAt: null,
      lastExit: { code: 1 },
      lastStderr: ['    at x (a.js:1:1)', '}', '', 'Node.js v20.20.2'],
      stderrSummary: ['Error: listen EADDRINUSE: address already in use 127.0.0.1:3900'],
    });
    assert.deepEqual(renderTable([down], NOW).split('\n').slice(2), [
      '    stderr: Error: listen EADDRINUSE: address already in use 127.0.0.1:3900',
    ]);
  });

  void it('shows PIDS, CPU and MEM for any tree it is told of', () => {
    const tree = {
      pids: 2,
      memoryBytes: 3 * 1024 * 1024,
      peakMemoryBytes: 4 * 1024 * 1024,
      cpuSeconds: 12.5,
      cpuPercent: 37.44,
      pressure: null,
    };
    const [header, row, other] = renderTable(
      [instance({ tree }), instance({ name: 'api', tree: { ...tree, cpuPercent: null } })],
      NOW,
    ).split('\n');
    assert.match(header ?? '', /PIDS\s+CPU\s+MEM/);
    assert.match(row ?? '', /\s2\s+37%\s+3\.0M\s+-$/);
    assert.match(other ?? '', /\s2\s+-\s+3\.0M\s+-$/, 'not measured yet');
  });

  void it('shows a small CPU share with a decimal', () => {
    assert.equal(formatPercent(0.34), '0.3%');
    assert.equal(formatPercent(9.96), '10.0%');
    assert.equal(formatPercent(150.2), '150%');
  });

  void it('shows a failing health check and the last restart it caused', () => {
    const health = {
      state: 'failing' as const,
      failures: 2,
      threshold: 3,
      lastError: 'connect ECONNREFUSED',
      lastRestart: { at: NOW - 65_000, reason: 'health check failed 3 times: HTTP 503' },
    };
    const lines = renderTable([instance({ health })], NOW).split('\n');
    assert.deepEqual(lines.slice(2), [
      '    health: failing (2/3): connect ECONNREFUSED',
      '    restarted: health check failed 3 times: HTTP 503 (1m5s ago)',
    ]);
  });

  void it('says when a change of watched files was not applied', () => {
    const watch = {
      applying: false,
      lastChangeAt: NOW - 1000,
      notApplied: 'new instance failed (exit 1)',
    };
    const lines = renderTable([instance({ watch })], NOW).split('\n');
    assert.deepEqual(lines.slice(2), ['    change not applied: new instance failed (exit 1)']);
  });

  void it("shows a scheduled task's next run, skips and last runs, newest first", () => {
    const schedule: InstanceStatus['schedule'] = {
      cron: '*/5 * * * *',
      timezone: null,
      overlap: 'skip',
      nextRunAt: NOW + 252_000,
      lastRuns: [
        { startedAt: NOW - 348_000, durationMs: 300, exit: { code: 1 } },
        { startedAt: NOW - 48_000, durationMs: 200, exit: { code: 0 } },
      ],
      skipped: 2,
      queued: false,
    };
    const table = renderTable(
      [instance({ kind: 'task', state: 'exited', pid: null, ranMs: 200, schedule })],
      NOW,
    );
    assert.deepEqual(table.split('\n').slice(2), [
      '    next run: in 4m12s (2 skipped)',
      '    last run: 48s ago, ran 0.2s, exit 0',
      '    last run: 5m48s ago, ran 0.3s, exit 1',
    ]);
  });
});
