// The watchdog: an instance that stops sending WATCHDOG=1 is killed (SIGABRT) and restarted,
// and that restart counts as a failure; one that keeps pinging stays running.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';

const NOTIFY = '/usr/bin/systemd-notify';

void describe('watchdog', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  void it('kills a silent instance with SIGABRT and restarts it; a pinging one stays', async (t) => {
    s = sandbox();
    if (!existsSync(NOTIFY)) return t.skip('needs systemd-notify (Debian package systemd)');
    s.config(`
services:
  silent:
    command: ${NOTIFY} --ready; exec sleep 600
    ready: { notify: true, timeout: 10s }
    watchdog: 400ms
    backoff: { initial: 100ms }
  pinging:
    command: ${NOTIFY} --ready; while :; do ${NOTIFY} WATCHDOG=1; sleep 0.1; done
    ready: { notify: true, timeout: 10s }
    watchdog: 1s
`);
    assert.equal((await s.warden(['up'])).code, 0);
    const silent = await waitFor('the silent one restarted', async () => {
      const i = (await s.status()).instances.find((x) => x.name === 'silent');
      return i !== undefined && i.restarts >= 1 && i;
    });
    assert.ok(
      silent.lastExit !== null && 'signal' in silent.lastExit,
      JSON.stringify(silent.lastExit),
    );
    assert.equal(silent.lastExit.signal, 'SIGABRT');
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(log, /silent: running -> stopping \(no WATCHDOG=1 for 400ms: SIGABRT\)/);
    assert.match(log, /silent: stopping -> backoff \(watchdog timeout, SIGABRT/);
    // Long enough for the 1s watchdog to have fired twice had the pings not reached warden.
    const pinging = await waitFor('pinging up for 2.5s', async () => {
      const i = (await s.status()).instances.find((x) => x.name === 'pinging');
      return (
        i?.startedAt !== null && i !== undefined && Date.now() - (i.startedAt ?? 0) > 2500 && i
      );
    });
    assert.equal(pinging.state, 'running');
    assert.equal(pinging.restarts, 0, 'WATCHDOG=1 kept it alive');
    assert.equal(pinging.readySource, 'notify');
  });
});
