// runtime_max: an instance that has been running this long is restarted, saying why, at once
// (no backoff) and without counting toward the start limit, however many times it happens.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

void describe('runtime_max', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('restarts an instance after runtime_max, with its reason, no backoff, no start limit', async () => {
    s = sandbox();
    // A backoff of 1h would show as `backoff`, and a burst of 1 as `failed`, were the
    // restarts counted as failures (reset_after 1h: no run is long enough to settle them).
    s.config(`
services:
  job:
    command: exec sleep 300
    min_uptime: 100ms
    runtime_max: 1s
    backoff: { initial: 1h, max: 1h, reset_after: 1h }
    start_limit: { burst: 1, interval: 1h }
`);
    assert.equal((await s.warden(['up', '--wait'])).code, 0);
    const first = (await s.status()).instances[0];
    const states = new Set<string>();
    const job = await waitFor(
      'job restarted by runtime_max three times',
      async () => {
        const i = (await s.status()).instances[0];
        if (i !== undefined) states.add(i.state);
        return i !== undefined && i.restarts >= 3 && i.state === 'running' && i;
      },
      30_000,
    );
    assert.ok(!states.has('backoff') && !states.has('failed'), [...states].join(','));
    assert.notEqual(job.pid, first?.pid);
    assert.deepEqual(job.lastExit, { signal: 'SIGTERM', coreDumped: false });
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(log, /job: running -> stopping \(runtime_max \(1s\) reached: SIGTERM\)/);
    assert.match(
      log,
      /job: stopping -> starting \(runtime_max \(1s\) reached; automatic restart #1\)/,
    );
  });

  void it('refuses a runtime_max that is not a duration, naming the key', async () => {
    s = sandbox();
    s.config(`
services:
  job:
    command: exec sleep 300
    runtime_max: forever
`);
    const up = await s.warden(['up']);
    assert.equal(up.code, 2);
    assert.match(up.stderr, /services\.job\.runtime_max: "forever" is not a duration/);
  });
});
