// WARDEN_HOME and the files in it (DESIGN.md section 4).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The paths of one daemon's home. */
export interface HomePaths {
  home: string;
  /** Control socket, mode 0600. */
  socket: string;
  /** Holds the daemon's pid and its flock; never unlinked. */
  pidFile: string;
  /** The daemon's own log (its stderr). */
  daemonLog: string;
  /** Per-service log files. */
  logDir: string;
  /** What the next daemon needs to take the services back (src/daemon/state-file.ts). */
  state: string;
  /** The key a daemon proves itself with to clients (src/ipc/daemon-proof.ts), mode 0600. */
  proofKey: string;
}

/** Root's default home, where a system's state belongs (FHS `/var/lib`). */
export const ROOT_HOME = '/var/lib/warden';

/**
 * Resolves the home: `--home`, else `$WARDEN_HOME`, else for root (`uid` 0) `/var/lib/warden`,
 * else `$XDG_STATE_HOME/warden`, else `~/.local/state/warden`. Root's default ignores
 * `$XDG_STATE_HOME`, so a daemon started by systemd and the CLI of a root shell agree.
 * @param uid whose default it is (default: this process's real uid)
 */
export function resolveHome(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.getuid?.() ?? -1,
): HomePaths {
  const base =
    flag ??
    env.WARDEN_HOME ??
    (uid === 0
      ? ROOT_HOME
      : join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'warden'));
  const home = resolve(base);
  return {
    home,
    socket: join(home, 'warden.sock'),
    pidFile: join(home, 'warden.pid'),
    daemonLog: join(home, 'warden.log'),
    logDir: join(home, 'logs'),
    state: join(home, 'state.json'),
    proofKey: join(home, 'warden.key'),
  };
}

/** sun_path holds 108 bytes with the terminating NUL (unix(7)). */
export const MAX_SOCKET_PATH = 107;

/**
 * Why `socket` cannot be a Unix socket path, or undefined when it can. Node 20 would silently
 * truncate a longer one, binding or reaching another path.
 */
export function socketPathProblem(socket: string): string | undefined {
  const bytes = Buffer.byteLength(socket);
  if (bytes <= MAX_SOCKET_PATH) return undefined;
  return `${socket} is ${bytes} bytes; Unix socket paths are limited to ${MAX_SOCKET_PATH} (use a shorter --home)`;
}
