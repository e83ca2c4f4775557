// `warden startup [--user] [--print] [-f CONFIG]` and `warden startup remove`: a systemd unit
// that runs `warden run` at boot (or at the user's login, or at boot with lingering).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../../version.js';
import { CliError, homeOf, type GlobalOptions } from '../context.js';
import { EXIT, print, printError } from '../output.js';
import { readConfigOrExit } from './lifecycle.js';
import { UNIT_MARK, UNIT_NAME, unitText } from './startup-unit.js';

/** Options of `startup`. */
export interface StartupOptions extends GlobalOptions {
  file: string;
  user?: boolean;
  print?: boolean;
}

// Where the unit lives: the system's local units, or the user's (systemd.unit(5), "Unit File
// Load Path").
function unitDir(user: boolean): string {
  if (!user) return '/etc/systemd/system';
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user');
}

/**
 * `warden startup`: writes the unit (or prints it, with `--print`) and enables it. Where no
 * systemd answers `systemctl`, the unit stays written and the command says so (exit 1).
 */
export async function startup(options: StartupOptions): Promise<number> {
  const user = options.user === true;
  const { config } = await readConfigOrExit(options.file);
  const uid = process.getuid?.() ?? 0;
  const text = unitText({
    user,
    node: process.execPath,
    // This install's bin/warden (this module is dist/src/cli/commands/startup.js).
    warden: fileURLToPath(new URL('../../../../bin/warden', import.meta.url)),
    home: homeOf(options).home,
    config: config.path,
    longestStopMs: Math.max(0, ...config.services.map((s) => s.stopTimeoutMs)),
    path: process.env.PATH,
    runAs: user || uid === 0 ? undefined : userInfo().username,
    version: VERSION,
  });
  if (options.print === true) {
    process.stdout.write(text);
    return EXIT.ok;
  }
  const dir = unitDir(user);
  const path = join(dir, UNIT_NAME);
  refuseForeign(path);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? `: run it as root, or use --user for your own systemd (or "warden startup --print | sudo tee ${path}")`
        : '';
    throw new CliError(`cannot write ${path} (${code})${hint}`, EXIT.failed, { cause: error });
  }
  const systemctl = managerOf(user);
  const offline = systemctl.unreachable();
  if (offline !== undefined) {
    printError(
      `systemctl cannot reach a running systemd (${offline}); ${path} is written but not enabled. ` +
        `On a host booted with systemd: ${systemctl.line('daemon-reload')} && ${systemctl.line('enable --now', UNIT_NAME)}`,
    );
    return EXIT.failed;
  }
  systemctl.run('daemon-reload');
  systemctl.run('enable', UNIT_NAME);
  print(
    `warden: wrote ${path} and enabled ${UNIT_NAME}: it runs ${config.path} at ${user ? 'your login' : 'boot'}`,
  );
  print(
    `warden: start it now with "${systemctl.line('start', UNIT_NAME)}" (after "warden down" if a daemon of this home runs)`,
  );
  if (user) {
    print(
      `warden: to start it at boot without a login, and keep it after you log out: loginctl enable-linger ${userInfo().username}`,
    );
  }
  return EXIT.ok;
}

/** `warden startup remove [--user]`: disables the unit and removes its file. */
export function remove(options: GlobalOptions & { user?: boolean }): number {
  const user = options.user === true;
  const path = join(unitDir(user), UNIT_NAME);
  if (!existsSync(path)) {
    print(`warden: no unit at ${path}; nothing to remove`);
    return EXIT.ok;
  }
  refuseForeign(path);
  const systemctl = managerOf(user);
  const offline = systemctl.unreachable();
  if (offline === undefined) systemctl.run('disable', UNIT_NAME);
  // Offline, the link `enable` made (if any) is removed by hand, as `systemctl disable` would.
  const wants = join(unitDir(user), `${user ? 'default' : 'multi-user'}.target.wants`, UNIT_NAME);
  for (const file of [path, wants]) rmSync(file, { force: true });
  if (offline === undefined) {
    systemctl.run('daemon-reload');
    print(`warden: disabled ${UNIT_NAME} and removed ${path}`);
    if (systemctl.isActive(UNIT_NAME))
      print(
        `warden: it still runs until "${systemctl.line('stop', UNIT_NAME)}" (which stops its services)`,
      );
  } else {
    print(`warden: removed ${path} (systemctl cannot reach a running systemd: ${offline})`);
  }
  return EXIT.ok;
}

// A unit of that name that warden did not write is the user's: never overwritten or removed.
function refuseForeign(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  if (!text.startsWith(UNIT_MARK))
    throw new CliError(
      `${path} exists and was not written by "warden startup": move it away first`,
      EXIT.usage,
    );
}

/** `systemctl` for the system's manager or, with `user`, the user's. */
interface Systemctl {
  /** Why no running systemd answers, or undefined when one does. */
  unreachable(): string | undefined;
  /** Runs `systemctl ARGS`. @throws CliError (exit 1) with its stderr */
  run(...args: string[]): void;
  isActive(unit: string): boolean;
  /** The command line, for messages. */
  line(...args: string[]): string;
}

function managerOf(user: boolean): Systemctl {
  const scope = user ? ['--user'] : [];
  const call = (args: string[]) =>
    spawnSync('systemctl', [...scope, ...args], { encoding: 'utf8', timeout: 60_000 });
  return {
    unreachable: () => {
      const r = call(['is-system-running']);
      if (r.error !== undefined)
        return `systemctl: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
      const state = r.stdout.trim();
      // offline: no systemd is PID 1; an error on stderr: no bus to the (user's) manager.
      if (
        ['running', 'degraded', 'starting', 'initializing', 'maintenance', 'stopping'].includes(
          state,
        )
      )
        return undefined;
      const said = state || r.stderr.trim().split('\n')[0] || `exit ${r.status}`;
      return `"systemctl ${[...scope, 'is-system-running'].join(' ')}" says ${said}`;
    },
    run: (...args) => {
      const r = call(args);
      if (r.status !== 0)
        throw new CliError(
          `"systemctl ${[...scope, ...args].join(' ')}" failed: ${(r.stderr || r.stdout).trim()}`,
          EXIT.failed,
        );
    },
    isActive: (unit) => {
      try {
        execFileSync('systemctl', [...scope, 'is-active', '--quiet', unit]);
        return true;
      } catch {
        return false;
      }
    },
    line: (...args) => ['systemctl', ...scope, ...args].join(' '),
  };
}
