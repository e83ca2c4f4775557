// Helpers for end-to-end tests: a temp WARDEN_HOME, the built CLI run as a real process,
// polling with deadlines, and a cleanup that ends every process the test's daemon started.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '../../src/core/status.js';
import { removeHomeCgroups } from './procs.js';

/** The repository root (this file runs from dist/test/helpers). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The `warden` executable, as a user runs it. */
export const WARDEN = join(ROOT, 'bin', 'warden');

/** A temp home and config directory for one test. */
export interface Sandbox {
  home: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Writes `warden.yaml` (or `name`) in `dir`; returns its path. */
  config(yaml: string, name?: string): string;
  /** Runs `warden ARGS` with this home, from `dir`. */
  warden(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  status(): Promise<StatusReport>;
  /** `warden down`, then SIGKILL to anything of this home still alive; removes the dirs. */
  cleanup(): Promise<void>;
}

/** What a CLI run gave. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` and collects its exit code and output (never rejects on non-zero exit). */
export function runProcess(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      // Output of large fleets (`status --json` of 3,600 instances is ~1.2 MB) is kept whole.
      {
        env: options.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 128;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Creates a sandbox. */
export function sandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'warden-test-'));
  const home = join(root, 'home');
  const dir = join(root, 'app');
  const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_HOME: home, NO_COLOR: '1' };
  delete env.NOTIFY_SOCKET;
  const self: Sandbox = {
    home,
    dir,
    env,
    config(yaml, name = 'warden.yaml') {
      mkdirp(dir);
      const path = join(dir, name);
      writeFileSync(path, yaml);
      return path;
    },
    warden(args, options = {}) {
      mkdirp(dir);
      return runProcess(WARDEN, args, { env, cwd: dir, timeoutMs: options.timeoutMs ?? 30_000 });
    },
    async status() {
      const r = await self.warden(['status', '--json']);
      if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as StatusReport;
    },
    async cleanup() {
      await self.warden(['down'], { timeoutMs: 20_000 });
      for (const pid of processesOfHome(home)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await removeHomeCgroups(home);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return self;
}

function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/**
 * Pids of every live process whose environment carries `WARDEN_HOME=home`: the daemon of the
 * home and every service process and descendant it started (they inherit the variable).
 */
export function processesOfHome(home: string): number[] {
  const needle = `WARDEN_HOME=${home}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(needle)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`
 * with `what` and the last value seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await probe();
    if (last !== undefined && last !== false) return last as T;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
