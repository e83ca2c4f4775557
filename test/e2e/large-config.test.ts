// A config of 1.5 MB is not capped by the protocol (issue 13, point 9): `up` sends it whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandbox } from '../helpers/cli.js';

void describe('large config', () => {
  void it('takes a 1.5 MB config', async () => {
    const s = sandbox();
    try {
      // 300 services with 25 variables of 200 bytes each: ~1.6 MB as the JSON `up` sends.
      const value = 'v'.repeat(200);
      let yaml = 'services:\n';
      for (let i = 0; i < 300; i++) {
        yaml += `  s${i}:\n    command: [sleep, '600']\n    env:\n`;
        for (let v = 0; v < 25; v++) yaml += `      VAR_${v}: '${value}'\n`;
      }
      s.config(yaml);
      assert.ok(yaml.length > 1.5e6);
      const up = await s.warden(['up', '--wait', 's0']);
      assert.equal(up.code, 0, up.stderr);
      const report = await s.status();
      assert.notEqual(report.daemon.config, null);
      assert.equal(report.instances.length, 300);
      assert.equal(report.instances.find((i) => i.name === 's0')?.state, 'running');
    } finally {
      await s.cleanup();
    }
  });
});
