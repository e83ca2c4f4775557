// Stopping completely, in both containment modes: whatever a service's processes did to detach,
// none is left after `stop`, and no zombie is left as a child of the daemon.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { StatusReport } from '../../src/core/status.js';
import { processesOfHome, sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf, wardenCgroupOf, zombieChildren } from '../helpers/procs.js';

const SCENARIOS = `
services:
  noexec:
    command: sleep 600 & sleep 600 & wait
    min_uptime: 100ms
  doublefork:
    command: setsid sh -c 'sleep 600 & exit 0'; exec sleep 601
    min_uptime: 100ms
  stubborn:
    command: trap "" TERM; sleep 600 & while :; do sleep 0.1; done
    stop_timeout: 500ms
    min_uptime: 100ms
  regroup:
    command: perl -e 'setpgrp(0,0); sleep 600' & exec sleep 602
    min_uptime: 100ms
  bomb:
    command: bomb() { if [ "$1" -le 0 ]; then sleep 600; else bomb $(($1-1)) & bomb $(($1-1)) & wait; fi; }; bomb 5
    min_uptime: 100ms
`;

for (const mode of ['cgroup', 'process-group'] as const) {
  void describe(`containment: ${mode}`, () => {
    let s: Sandbox;
    afterEach(() => s.cleanup());

    // Starts a daemon forced into `mode`; undefined when the mode is not usable here.
    async function upIn(yaml: string, wait = true): Promise<StatusReport | undefined> {
      s = sandbox();
      s.env.WARDEN_CONTAINMENT = mode;
      s.config(yaml);
      const up = await s.warden(wait ? ['up', '--wait'] : ['up']);
      assert.equal(up.code, 0, up.stderr);
      const st = await s.status();
      return st.daemon.containment === mode ? st : undefined;
    }

    void it('stop leaves none of the processes of detaching services, and no zombie', async (t) => {
      const st = await upIn(SCENARIOS);
      if (st === undefined)
        return t.skip(`${mode} containment is not usable here (see warden.log)`);
      // Every scenario has spread out: 2 + 1 + 1 + 1 + 32 sleeps at least, plus shells.
      await waitFor('the trees to grow', () => processesOfHome(s.home).length > 45);
      const before = processesOfHome(s.home).length;
      const stop = await s.warden(['stop', 'all']);
      assert.equal(stop.code, 0, stop.stderr);
      const daemon = daemonPidOf(s.home);
      assert.deepEqual(
        processesOfHome(s.home),
        [daemon],
        `of ${before} processes only the daemon is left`,
      );
      await waitFor('no zombie child of the daemon', () => zombieChildren(daemon).length === 0);
      for (const i of (await s.status()).instances) assert.equal(i.state, 'stopped', i.name);
      const stubborn = (await s.status()).instances.find((i) => i.name === 'stubborn');
      assert.deepEqual(stubborn?.lastExit, { signal: 'SIGKILL', coreDumped: false });
    });

    void it('orphans that come back to the daemon are reaped', async (t) => {
      const st = await upIn(`
services:
  orphans:
    command: for i in 1 2 3 4 5; do (sleep 0.1 &); done; exec sleep 600
    min_uptime: 100ms
`);
      if (st === undefined) return t.skip(`${mode} containment is not usable here`);
      const daemon = daemonPidOf(s.home);
      // The five sleeps end soon after being orphaned; as subreaper the daemon must reap them.
      await waitFor('only the main process left', () => processesOfHome(s.home).length === 2);
      await waitFor('no zombie child of the daemon', () => zombieChildren(daemon).length === 0);
    });

    void it('200 rapid spawn/exit cycles with orphans: every exit is seen with its status', async (t) => {
      const st = await upIn(
        `
services:
  churn:
    command: (sleep 0.05 &); exit 7
    backoff: { initial: 1ms, max: 1ms }
    start_limit: { burst: 1000, interval: 1m }
`,
        false,
      );
      if (st === undefined) return t.skip(`${mode} containment is not usable here`);
      await waitFor(
        '200 restarts',
        async () => ((await s.status()).instances[0]?.restarts ?? 0) >= 200,
        60_000,
        50,
      );
      assert.equal((await s.warden(['stop', 'churn'])).code, 0);
      const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
      const exits = (log.match(/churn: starting -> stopping \(([^)]*)\)/g) ?? []).filter(
        (e) => !e.includes('stop by user'),
      );
      assert.ok(exits.length >= 200, `${exits.length} exits seen`);
      const odd = exits.filter((e) => !e.includes('(exit 7)'));
      assert.deepEqual(odd, [], 'every exit was exit 7: no status was stolen by the reaper');
      const daemon = daemonPidOf(s.home);
      await waitFor('no zombie child of the daemon', () => zombieChildren(daemon).length === 0);
      assert.equal((await s.warden(['down'])).code, 0);
      const cgroup = wardenCgroupOf(s.home);
      if (mode === 'cgroup' && cgroup !== undefined) {
        assert.equal(existsSync(cgroup), false, `${cgroup} was removed by down`);
      }
    });
  });
}
