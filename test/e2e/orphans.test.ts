// Process-group mode and the orphans that clear their tracks: processes that call setsid, fork
// twice and clear their environment (so no WARDEN_INVOCATION marker) come back to the daemon
// (the subreaper) with nothing that says whose they were. The daemon's own /proc snapshots saw
// them in their instance's tree before their parent left, so they stop with it; one the daemon
// never saw in any tree is killed at `down` and named in the daemon log.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { sandbox, waitFor, type Sandbox } from '../helpers/cli.js';
import { daemonPidOf } from '../helpers/procs.js';

/** ppid and start time of a live process; undefined once gone (a zombie counts as gone). */
function procOf(pid: number): { ppid: number; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z') return undefined;
    return { ppid: Number(f[1]), startTime: f[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Pids listed one per line in `path` (what the fixtures wrote). */
function pidsIn(path: string): number[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

// 20 children that each leave a grandchild behind in a new session, with an empty environment,
// and exit 3 s later: the grandchildren are then the daemon's, with no trace of their instance.
const DAEMONIZER =
  "for i in $(seq 1 20); do setsid sh -c 'env -i sleep 1000 & echo $! >> orphans; sleep 3' & done; exec sleep 1000";

void describe('process-group mode: orphans that clear their tracks', () => {
  let s: Sandbox;
  /** Processes a test made outside the daemon's reach, with their start times. */
  let started: { pid: number; startTime: string }[] = [];
  afterEach(async () => {
    for (const p of started)
      if (procOf(p.pid)?.startTime === p.startTime) process.kill(p.pid, 'SIGKILL');
    started = [];
    await s.cleanup();
  });

  void it('setsid, a double fork and env -i: all 21 processes stop with their instance', async () => {
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'process-group';
    s.config(`services:\n  forker:\n    command: "${DAEMONIZER}"\n    stop_timeout: 2s\n`);
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const daemon = daemonPidOf(s.home);
    const orphans = await waitFor('20 orphans reparented to the daemon', () => {
      const pids = pidsIn(join(s.dir, 'orphans'));
      return pids.length === 20 && pids.every((pid) => procOf(pid)?.ppid === daemon) && pids;
    });
    for (const pid of orphans) started.push({ pid, startTime: procOf(pid)?.startTime ?? '' });
    const main = (await s.status()).instances[0]?.pid;
    assert.ok(typeof main === 'number');

    const stop = await s.warden(['stop', 'forker']);
    assert.equal(stop.code, 0, stop.stderr);
    const alive = [main, ...orphans].filter((pid) => procOf(pid) !== undefined);
    assert.deepEqual(alive, [], 'no process of the instance outlived its stop');
  });

  void it('an orphan no snapshot attributed is killed at down and reported', async () => {
    s = sandbox();
    s.env.WARDEN_CONTAINMENT = 'process-group';
    // The readiness check, not the instance, leaves the orphan: it belongs to no tree.
    const check = "setsid sh -c 'env -i sleep 1000 & echo $! > stray'; true";
    s.config(`services:\n  app:\n    command: [sleep, '1000']\n    ready: { exec: "${check}" }\n`);
    const up = await s.warden(['up', '--wait']);
    assert.equal(up.code, 0, up.stderr);
    const daemon = daemonPidOf(s.home);
    const [stray] = await waitFor('the stray reparented to the daemon', () => {
      const pids = pidsIn(join(s.dir, 'stray'));
      return pids.length === 1 && procOf(pids[0] ?? 0)?.ppid === daemon && pids;
    });
    assert.ok(stray !== undefined);
    started.push({ pid: stray, startTime: procOf(stray)?.startTime ?? '' });

    const down = await s.warden(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(procOf(stray), undefined, `the stray ${stray} was killed at down`);
    const log = readFileSync(join(s.home, 'warden.log'), 'utf8');
    assert.match(log, new RegExp(`killed pid ${stray} \\(sleep\\): reparented to the daemon`));
  });
});
