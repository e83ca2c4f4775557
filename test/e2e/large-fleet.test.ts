// Large fleets are not capped by the protocol (issue 13, point 9): 3,600 instances come up,
// show in `status --json` and go down.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusReport } from '../../src/core/status.js';
import { processesOfHome, sandbox } from '../helpers/cli.js';

void describe('large fleets', () => {
  void it('brings 3,600 instances up, lists them and takes them down', async () => {
    const s = sandbox();
    try {
      let yaml = 'services:\n';
      for (let i = 0; i < 36; i++)
        yaml += `  s${i}:\n    command: [sleep, '600']\n    instances: 100\n    min_uptime: 100ms\n`;
      s.config(yaml);
      const up = await s.warden(['up', '--wait', '--timeout', '100s'], { timeoutMs: 110_000 });
      assert.equal(up.code, 0, up.stderr);
      const r = await s.warden(['status', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as StatusReport;
      assert.equal(report.instances.length, 3600);
      assert.ok(report.instances.every((i) => i.state === 'running'));
      const table = await s.warden(['status']);
      assert.equal(table.code, 0, table.stderr);
      const down = await s.warden(['down'], { timeoutMs: 100_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, /stopped 3600 instance\(s\)/);
      assert.deepEqual(processesOfHome(s.home), []);
    } finally {
      await s.cleanup();
    }
  });
});
