// Starts the detached daemon and waits for its handshake (DESIGN.md section 3): the CLI exits 0
// only once the daemon listens, or reports the daemon's own error and leaves nothing behind.
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { WardenError } from '../core/warden-error.js';
import {
  connectControl,
  NoDaemonError,
  type ControlClient,
  type ControlOptions,
} from '../ipc/client.js';
import type { HomePaths } from '../home/paths.js';
import { makeOwnHome, plantedLink, UntrustedError } from '../effects/files/home-trust.js';
import { readHandshake, settleFailedChild, type Handshake } from '../detach/handshake.js';
import { errnoOf } from '../effects/ffi/errno.js';

/**
 * The daemon could not be started; `code` is an errno name, ALREADY_RUNNING, TIMEOUT or
 * UNTRUSTED (a home another user could control).
 */
export class DaemonStartError extends WardenError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'DaemonStartError';
  }
}

/** How long to wait for the handshake (ms). */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** How long a daemon that reported failure may take to exit before it is killed (ms). */
const EXIT_WAIT_MS = 5_000;

// The daemon's entry: one bundled file (scripts/bundle.ts), which starts faster than its modules.
const ENTRY = fileURLToPath(new URL('../daemon/entry.js', import.meta.url));

/**
 * V8 flags of the daemon. Young-generation semi-spaces of at most 2 MiB (V8's default lets them
 * grow to 16 MiB during bring-up, and they stay): ~12 MB less resident with 200 services, and
 * no measurable cost in daemon CPU per MB of logs (docs/benchmarks.md); 1 MiB cost ~15 %. No
 * V8 worker threads (GC and compile tasks run on the main thread): 4.6 MB less with 200
 * services, and the same log throughput and CPU per MB within the noise of two runs each.
 * `gc()`, so that the control socket gives memory back after a flood (ipc/connection.ts).
 */
const DAEMON_FLAGS = ['--max-semi-space-size=2', '--v8-pool-size=0', '--expose-gc'];

/**
 * Connects to the daemon of `home`, starting it first when none runs. Requests on the connection
 * give up after `options.timeoutMs` of the daemon's silence (ipc/client.ts).
 * @returns the connection and whether this call started the daemon
 * @throws DaemonStartError with the daemon's reason; DaemonTimeoutError
 */
export async function ensureDaemon(
  home: HomePaths,
  options: ControlOptions = {},
): Promise<{ client: ControlClient; started: boolean }> {
  const existing = await tryConnect(home.socket, options);
  if (existing !== undefined) return { client: existing, started: false };
  const outcome = await startDaemon(home);
  if ('ready' in outcome)
    return { client: await connectControl(home.socket, options), started: true };
  if ('error' in outcome && outcome.error.code === 'ALREADY_RUNNING') {
    // Another `warden up` won the race; its daemon is about to listen.
    const client = await connectWithin(home.socket, HANDSHAKE_TIMEOUT_MS, options);
    return { client, started: false };
  }
  if ('error' in outcome) throw new DaemonStartError(outcome.error.code, outcome.error.message);
  if ('eof' in outcome) {
    throw new DaemonStartError(
      'EXITED',
      `the daemon ${outcome.exit} before it was ready; see ${home.daemonLog}`,
    );
  }
  throw new DaemonStartError(
    'TIMEOUT',
    `the daemon did not answer within ${HANDSHAKE_TIMEOUT_MS}ms; see ${home.daemonLog}`,
  );
}

async function tryConnect(
  socket: string,
  options: ControlOptions,
): Promise<ControlClient | undefined> {
  try {
    return await connectControl(socket, options);
  } catch (error) {
    if (error instanceof NoDaemonError) return undefined;
    throw error;
  }
}

async function connectWithin(
  socket: string,
  ms: number,
  options: ControlOptions,
): Promise<ControlClient> {
  const deadline = Date.now() + ms;
  for (;;) {
    const client = await tryConnect(socket, options);
    if (client !== undefined) return client;
    if (Date.now() > deadline)
      throw new DaemonStartError('TIMEOUT', `no daemon listens on ${socket}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `a` that never follows a symbolic link another user may have planted (O_NOFOLLOW: ELOOP). */
const DAEMON_LOG_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

// Spawns `node FLAGS entry.js HOME` in a new session, stdio on /dev/null except stderr on the daemon
// log, and a handshake pipe as fd 3.
async function startDaemon(home: HomePaths): Promise<Handshake> {
  let logFd: number;
  try {
    makeOwnHome(home.home, home.logDir, process.getuid?.() ?? 0);
    logFd = openSync(home.daemonLog, DAEMON_LOG_FLAGS, 0o600);
  } catch (error) {
    if (error instanceof UntrustedError) throw new DaemonStartError(error.code, error.message);
    const code = errnoOf(error) ?? 'EIO';
    // A link where warden.log should be was planted: refused as a home another user touched.
    if (code === 'ELOOP')
      throw new DaemonStartError('UNTRUSTED', plantedLink(home.daemonLog, home.home));
    throw new DaemonStartError(code, `cannot prepare ${home.home}: ${code}`);
  }
  try {
    const child = spawn(process.execPath, [...DAEMON_FLAGS, ENTRY, home.home], {
      detached: true,
      cwd: '/',
      stdio: ['ignore', 'ignore', logFd, 'pipe'],
      env: { ...process.env, WARDEN_DAEMON: '1' },
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const outcome = await readHandshake(child.stdio[3] as Readable, child, HANDSHAKE_TIMEOUT_MS);
    (child.stdio[3] as Readable).destroy();
    // A daemon that failed is on its way out; make sure it is gone before we report.
    if (!('ready' in outcome)) await settleFailedChild(child, exited, EXIT_WAIT_MS);
    child.unref();
    return outcome;
  } finally {
    closeSync(logFd);
  }
}
