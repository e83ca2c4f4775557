// Running a command as a user would and timing it: from the spawn until its output is closed.
import { spawn } from 'node:child_process';

/** What one timed command gave. */
export interface Ran {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of everything a benchmark runs. NODE_EXTRA_CA_CERTS is left out: where it is
 * set (some sandboxes set it), every Node process spends ~70 ms reading certificates at start-up,
 * which would hide what the CLIs themselves cost (it weighs on warden and PM2 alike).
 */
export function benchEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Runs `argv`, stdout and stderr piped and collected. @throws when it fails or outlives `timeoutMs` */
export function runTimed(
  argv: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<Ran> {
  const [file = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 300_000,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ran = {
        ms: performance.now() - start,
        code: code ?? 128,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (code === 0) return resolve(ran);
      const why = signal === null ? `exit ${code}` : signal;
      reject(new Error(`${argv.join(' ').slice(0, 200)}: ${why}\n${ran.stderr.slice(-2000)}`));
    });
  });
}
