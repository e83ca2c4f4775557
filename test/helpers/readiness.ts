// Helpers for readiness tests: hooks that record, a notify hub in a temp dir, real process
// groups to play an instance's tree, and a look at this process's open fds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { findProgram } from '../../src/effects/spawn/find-program.js';
import { openNotifyHub, type NotifyHub } from '../../src/runtime/readiness/notify-hub.js';
import type { ReadinessHooks } from '../../src/runtime/readiness/types.js';

/** Hooks that keep what they were told. */
export interface Recorder {
  hooks: ReadinessHooks;
  ready: string[];
  status: string[];
  waiting: string[];
  watchdog: number;
  logs: string[];
}

/** A Recorder with nothing recorded yet. */
export function recorder(): Recorder {
  const r: Recorder = {
    ready: [],
    status: [],
    waiting: [],
    watchdog: 0,
    logs: [],
    hooks: {
      ready: (source) => void r.ready.push(source),
      status: (text) => void r.status.push(text),
      waiting: (why) => void r.waiting.push(why),
      watchdog: () => void r.watchdog++,
      log: (message) => void r.logs.push(message),
    },
  };
  return r;
}

/** A hub on a socket in a fresh temp dir; closed and removed after the test. */
export function testHub(t: TestContext): { hub: NotifyHub; logs: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-notify-'));
  const logs: string[] = [];
  const opened = openNotifyHub(join(dir, 'notify.sock'), (m) => void logs.push(m));
  if (!opened.ok) throw new Error(opened.error.message);
  t.after(async () => {
    await opened.hub.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { hub: opened.hub, logs, dir };
}

/** The process group of `pid` (from /proc/PID/stat), or undefined when it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/**
 * Runs `script` under /bin/sh in a new session (its own process group, like an instance in
 * process-group containment); SIGKILLs the group after the test.
 */
export function spawnGroup(
  t: TestContext,
  script: string,
  env: Record<string, string> = {},
  stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'],
): ChildProcess & { pid: number } {
  const child = spawn('/bin/sh', ['-c', script], {
    detached: true,
    env: { ...process.env, ...env },
    stdio,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot spawn /bin/sh -c ${script}`);
  t.after(() => killGroup(pid));
  return child as ChildProcess & { pid: number };
}

/** SIGKILL to process group `pgid`; nothing when it is gone. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmdline.includes(marker) && state !== 'Z') pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** How many fds this process has open now. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Why a test that needs `program` must skip, or false when it is on PATH. */
export function skipWithout(program: string, install: string): string | false {
  return findProgram(program, process.env.PATH, '/') === undefined
    ? false
    : `${program} not found on PATH (${install})`;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
