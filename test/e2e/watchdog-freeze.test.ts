// A daemon stopped (SIGSTOP) for a while and continued: a service that pinged WATCHDOG=1 all
// along keeps its pid and its restart count, and one that really stopped pinging is still
// killed by the watchdog (issue 13, point 6).
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { InstanceStatus } from '../../src/core/status.js';
import { sandbox, waitFor } from '../helpers/cli.js';

const NOTIFY = '/usr/bin/systemd-notify';
/** Pings are 200 ms apart: this many span about 3 s, three watchdog periods of 1 s. */
const PINGS = 15;
/**
 * How long the daemon stays stopped: the scenario's input, not a timing asserted. Three
 * watchdog periods; the pinging service blocks in sd_notify meanwhile once the socket's queue
 * is full (net.unix.max_dgram_qlen, 10 datagrams), as it would under a frozen systemd.
 */
const FREEZE_MS = 3000;

void describe('watchdog and a frozen daemon', () => {
  void it('judges pings by when they were sent, and still kills a silent service', async (t) => {
    if (!existsSync(NOTIFY)) return t.skip('needs systemd-notify (Debian package systemd)');
    const s = sandbox();
    let frozen: number | undefined;
    try {
      const pings = join(s.dir, 'pings');
      const hush = join(s.dir, 'hush');
      // Each ping is counted in a file, so the test waits on pings sent, not on time.
      s.config(`
services:
  pinging:
    command: ${NOTIFY} --ready; while :; do ${NOTIFY} WATCHDOG=1; echo >> ${pings}; sleep 0.2; done
    ready: { notify: true, timeout: 10s }
    watchdog: 1s
  hushed:
    command: ${NOTIFY} --ready; while [ ! -e ${hush} ]; do ${NOTIFY} WATCHDOG=1; sleep 0.2; done; exec sleep 600
    ready: { notify: true, timeout: 10s }
    watchdog: 1s
`);
      writeFileSync(pings, '');
      assert.equal((await s.warden(['up'])).code, 0);
      const find = async (name: string): Promise<InstanceStatus | undefined> =>
        (await s.status()).instances.find((i) => i.name === name);
      const before = await waitFor('both running', async () => {
        const p = await find('pinging');
        const h = await find('hushed');
        return p?.state === 'running' && h?.state === 'running' && p;
      });
      const pingCount = (): number => readFileSync(pings, 'utf8').length;
      const daemon = (await s.status()).daemon.pid;

      process.kill(daemon, 'SIGSTOP');
      frozen = daemon;
      await waitFor('the daemon stopped', () => procState(daemon) === 'T');
      appendFileSync(hush, ''); // the hushed service stops pinging while nobody looks
      const stoppedAt = Date.now();
      await waitFor('three watchdog periods frozen', () => Date.now() >= stoppedAt + FREEZE_MS);
      process.kill(daemon, 'SIGCONT');
      frozen = undefined;

      // The real silence is caught after the freeze...
      const hushed = await waitFor('the hushed one killed by the watchdog', async () => {
        const h = await find('hushed');
        return h !== undefined && h.restarts >= 1 && h;
      });
      assert.ok(hushed.lastExit !== null && 'signal' in hushed.lastExit);
      assert.equal(hushed.lastExit.signal, 'SIGABRT');
      // ...and the one that pinged all along is left alone, a few periods after the continue.
      const atContinue = pingCount();
      await waitFor(`${PINGS} pings after the continue`, () => pingCount() >= atContinue + PINGS);
      const after = await find('pinging');
      assert.equal(after?.state, 'running');
      assert.equal(after.pid, before.pid, 'the same process');
      assert.equal(after.restarts, 0, 'never restarted');
      const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
      assert.doesNotMatch(log, /pinging: running -> stopping/);
    } finally {
      if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
      await s.cleanup();
    }
  });
});

// The state letter of /proc/PID/stat (`T`: stopped), or undefined when gone.
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
