// Helpers for the library's tests: the compiled fixtures, a temp dir with a unique tag that
// every process started from it carries in its environment, and /proc facts about a daemon.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, waitFor, type CliResult } from './cli.js';

/** A compiled fixture of test/fixtures/lib. */
export function libFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/lib/${name}.js`, import.meta.url));
}

/** A temp dir for one test and the environment that marks every process started from it. */
export interface LibSandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `sh -c script` (with `$1`... = args) in `dir` with `env`. */
  sh(script: string, args?: string[], timeoutMs?: number): Promise<CliResult>;
  /** Live processes carrying this sandbox's tag (the fixtures and any daemon of theirs). */
  processes(): number[];
  /** SIGKILLs every process of the sandbox, waits until they are gone, removes `dir`. */
  cleanup(): Promise<void>;
}

/** Creates a LibSandbox; supervisor variables of the test runner's own environment are unset. */
export function libSandbox(): LibSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'warden-lib-'));
  const tag = `WARDEN_LIB_TEST=${dir}`;
  const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_LIB_TEST: dir };
  for (const k of ['NOTIFY_SOCKET', 'NOTIFICATION_FD', 'WARDEN_SERVICE', 'WARDEN_INSTANCE'])
    delete env[k];
  const self: LibSandbox = {
    dir,
    env,
    sh: (script, args = [], timeoutMs = 20_000) =>
      runProcess('/bin/sh', ['-c', script, 'sh', ...args], { env, cwd: dir, timeoutMs }),
    processes: () => processesWithEnv(tag),
    async cleanup() {
      for (const pid of self.processes()) kill(pid);
      await waitFor('the sandbox processes to end', () => self.processes().length === 0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Pids of live (non-zombie) processes whose environment holds `assignment` (`NAME=value`). */
export function processesWithEnv(assignment: string): number[] {
  const needle = `${assignment}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').includes(needle)) continue;
      if (procStat(Number(name)).state !== 'Z') pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Fields of /proc/PID/stat (proc(5)). */
export function procStat(pid: number): {
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i]);
  return { state: f[0] ?? '', ppid: n(1), pgrp: n(2), session: n(3), ttyNr: n(4) };
}

/** One open fd of a process: what it points to and its open flags (octal, /proc/PID/fdinfo). */
export interface OpenFd {
  fd: number;
  target: string;
  isCloseOnExec: boolean;
}

const O_CLOEXEC = 0o2000000;

/** The open fds of `pid`. */
export function openFds(pid: number): OpenFd[] {
  const fds: OpenFd[] = [];
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${name}`);
      const flags = /^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${name}`, 'utf8'));
      const isCloseOnExec = (parseInt(flags?.[1] ?? '0', 8) & O_CLOEXEC) !== 0;
      fds.push({ fd: Number(name), target, isCloseOnExec });
    } catch {
      // closed meanwhile
    }
  }
  return fds.sort((a, b) => a.fd - b.fd);
}

/** The umask of `pid` (/proc/PID/status `Umask:`, Linux 4.7+). */
export function umaskOf(pid: number): number {
  const m = /^Umask:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return parseInt(m?.[1] ?? 'NaN', 8);
}

/** The pid in a pid file. */
export function pidIn(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}
