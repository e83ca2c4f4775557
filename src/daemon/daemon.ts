// The daemon process: takes its home (pid-file lock, socket), serves the control protocol and
// runs the supervisor until SIGTERM or `down`. Used detached (`warden up`) and in the foreground
// (`warden run`).
import { closeSync, lstatSync, mkdirSync, unlinkSync, writeSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { WardenConfig } from '../config/types.js';
import { peerCredentials } from '../effects/libc.js';
import { spawnInstance } from '../effects/spawn.js';
import { isGroupAlive, signalGroup } from '../effects/process-group.js';
import { startReaper } from '../effects/reaper.js';
import { listenControl } from '../ipc/server.js';
import { systemClock } from '../runtime/clock.js';
import { Supervisor } from '../runtime/supervisor.js';
import type { LineSink } from '../runtime/runner.js';
import { VERSION } from '../version.js';
import { socketPathProblem, type HomePaths } from './home.js';
import { coreLimit, lockPidFile } from './hygiene.js';
import { makeMethods, reload, type DaemonContext } from './methods.js';

/** How the daemon runs. */
export interface DaemonOptions {
  home: HomePaths;
  /** A config to load and start at once (`warden run`); the detached daemon waits for `up`. */
  config?: WardenConfig;
  /** Receives every service output line (foreground mode prints them). */
  echo?: LineSink;
  /** Called once the socket listens (the handshake of the detached daemon). */
  onListening?: () => void;
}

/** A start-up failure, reported through the handshake: `code` is an errno name or ALREADY_RUNNING. */
export class StartupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Writes one line to the daemon's log (its stderr), stamped in UTC. Synchronous for files. */
export function logLine(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * Runs the daemon until it is told to stop. Resolves with the exit code once everything stopped.
 * @throws StartupError when the home is taken by another daemon, or its socket cannot be bound
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { home } = options;
  const lock = takeHome(home);
  const stopReaper = startReaper();
  const supervisor = new Supervisor({
    clock: systemClock,
    processes: { spawn: spawnInstance, signalGroup, isGroupAlive },
    logDir: home.logDir,
    baseEnv: process.env,
    coreLimit: coreLimit(),
    log: logLine,
    ...(options.echo === undefined ? {} : { echo: options.echo }),
  });

  let shuttingDown: Promise<void> | undefined;
  let server: Server | undefined;
  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (finish = resolve));

  const ctx: DaemonContext = {
    supervisor,
    home,
    version: VERSION,
    log: logLine,
    isShuttingDown: () => shuttingDown !== undefined,
    shutdown: (why) => {
      shuttingDown ??= (async () => {
        logLine(`shutting down: ${why}; stopping every service`);
        await supervisor.stopAll();
        await supervisor.close();
        logLine('every service stopped');
        // Let the reply to `down` go out before the socket closes.
        setImmediate(() => {
          server?.close();
          removeSocket(home.socket);
          stopReaper();
          closeSync(lock);
          finish(0);
        });
      })();
      return shuttingDown;
    },
  };

  try {
    server = await listenControl(home.socket, makeMethods(ctx), logLine, refuseOtherUsers);
  } catch (error) {
    closeSync(lock);
    stopReaper();
    throw asStartup(error, `cannot listen on ${home.socket}`);
  }
  logLine(`warden ${VERSION} daemon ${process.pid} listening on ${home.socket}`);

  process.on('SIGTERM', () => void ctx.shutdown('SIGTERM'));
  process.on('SIGINT', () => void ctx.shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    reload(ctx).catch((error: unknown) =>
      logLine(`SIGHUP reload failed, nothing changed: ${String(error)}`),
    );
  });
  process.on('SIGPIPE', () => undefined);

  if (options.config !== undefined) {
    supervisor.apply(options.config);
    supervisor.start([]);
  }
  options.onListening?.();
  return exited;
}

// Creates the home (0700), takes the pid-file lock and clears a stale socket.
function takeHome(home: HomePaths): number {
  const tooLong = socketPathProblem(home.socket);
  if (tooLong !== undefined) throw new StartupError('ENAMETOOLONG', tooLong);
  try {
    mkdirSync(home.home, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw asStartup(error, `cannot create ${home.home}`);
  }
  let lock;
  try {
    lock = lockPidFile(home.pidFile);
  } catch (error) {
    throw asStartup(error, `cannot lock ${home.pidFile}`);
  }
  if (!lock.ok) {
    const who = lock.holder === null ? 'another process' : `pid ${lock.holder}`;
    throw new StartupError(
      'ALREADY_RUNNING',
      `a warden daemon already runs for ${home.home} (${who})`,
    );
  }
  // Holding the lock, any socket file left is stale; anything else at its path is not ours.
  try {
    const st = lstatSync(home.socket, { throwIfNoEntry: false });
    if (st !== undefined && !st.isSocket()) {
      closeSync(lock.fd);
      throw new StartupError(
        'EADDRINUSE',
        `${home.socket} exists and is not a socket; move it away`,
      );
    }
    if (st !== undefined) unlinkSync(home.socket);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    closeSync(lock.fd);
    throw asStartup(error, `cannot remove the stale socket ${home.socket}`);
  }
  return lock.fd;
}

// Only root and the daemon's own user may drive it (DESIGN.md section 7), whatever the socket's mode.
function refuseOtherUsers(socket: Socket): string | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return 'cannot read the peer credentials';
  try {
    const { uid, pid } = peerCredentials(fd);
    const me = process.getuid?.() ?? 0;
    return uid === me || uid === 0
      ? undefined
      : `pid ${pid} runs as uid ${uid}, the daemon as uid ${me}`;
  } catch (error) {
    return `cannot read the peer credentials: ${String(error)}`;
  }
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

const HINTS: Record<string, string> = {
  EACCES: 'check its owner and mode, or use another --home',
  EPERM: 'check its owner and mode, or use another --home',
  EROFS: 'the file system is read-only; use another --home',
  EMFILE: 'too many open files; raise the limit (ulimit -n)',
  ENFILE: 'the system is out of file handles',
  ENOSPC: 'the disk is full',
  EADDRINUSE: 'another program holds the socket path',
  ENAMETOOLONG: 'Unix socket paths are limited to 107 bytes; use a shorter --home',
};

/** A StartupError saying what failed, the errno name, and what to do about it. */
function asStartup(error: unknown, what: string): StartupError {
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'EIO';
  const hint = HINTS[code];
  return new StartupError(code, `${what}: ${code}${hint === undefined ? '' : ` (${hint})`}`);
}

/** Writes the handshake line to fd `fd` and closes it. */
export function writeHandshake(fd: number, message: object): void {
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
    closeSync(fd);
  } catch {
    // The CLI went away; the daemon runs on regardless.
  }
}
