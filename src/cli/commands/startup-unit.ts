// The systemd unit `warden startup` writes: `warden run` as a Type=notify service that reloads
// on SIGHUP, owns its cgroup subtree, and has time to stop every service (systemd.service(5),
// systemd.exec(5), systemd.kill(5), systemd.resource-control(5)).
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the unit says. */
export interface UnitSpec {
  /** A unit of the user's own manager (`systemctl --user`) rather than the system's. */
  user: boolean;
  /** Absolute path of node (process.execPath). */
  node: string;
  /** Absolute path of this install's bin/warden. */
  warden: string;
  /** The daemon's home (absolute). */
  home: string;
  /** The config file (absolute). */
  config: string;
  /** The longest stop_timeout of the config's services (ms). */
  longestStopMs: number;
  /** PATH for the services' program lookups (the caller's; systemd's default is minimal). */
  path: string | undefined;
  /** For a system unit written by someone other than root: whom `User=` names. */
  runAs: string | undefined;
  /** warden's version, for the header. */
  version: string;
}

/** The unit's file name. */
export const UNIT_NAME = 'warden.service';

/** The first line of every unit warden writes: what `startup remove` and a rewrite look for. */
export const UNIT_MARK = '# Written by `warden startup`';

/** How long a stopped instance may take after SIGKILL before it counts as stopped (ms). */
const KILL_GRACE_MS = 5000;
/** Added to the longest stop: the daemon's own shutdown, and EXTEND_TIMEOUT_USEC's slack (ms). */
const STOP_MARGIN_MS = 10_000;

/** TimeoutStopSec= in seconds: the longest stop_timeout, SIGKILL's grace and a margin. */
export function stopTimeoutSec(longestStopMs: number): number {
  return Math.ceil((longestStopMs + KILL_GRACE_MS + STOP_MARGIN_MS) / 1000);
}

/** The text of the unit file. */
export function unitText(u: UnitSpec): string {
  const exec = [u.node, u.warden, '--home', u.home, 'run', '-f', u.config].map(execArg).join(' ');
  const lines = [
    `${UNIT_MARK} (warden ${u.version}); remove it with \`warden startup remove${u.user ? ' --user' : ''}\`.`,
    '[Unit]',
    `Description=${specifiers(`warden process supervisor (${u.config})`)}`,
    `Documentation=${specifiers(pathToFileURL(join(dirname(dirname(u.warden)), 'docs', 'cli', 'startup.md')).href)}`,
    ...(u.user ? [] : ['Wants=network-online.target', 'After=network-online.target']),
    '',
    '[Service]',
    // READY=1 once every service has settled, RELOADING=1/READY=1 around a reload, STOPPING=1.
    'Type=notify',
    'NotifyAccess=main',
    `ExecStart=${exec}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    ...(u.runAs === undefined ? [] : [`User=${u.runAs}`]),
    ...(u.path === undefined ? [] : [`Environment=${quote(specifiers(`PATH=${u.path}`))}`]),
    // warden's own cgroup subtree: one leaf per instance, controllers for them.
    'Delegate=yes',
    // SIGTERM to warden alone, which stops the services in dependency order; SIGKILL to what is
    // left only after TimeoutStopSec.
    'KillMode=mixed',
    `TimeoutStopSec=${stopTimeoutSec(u.longestStopMs)}s`,
    // Start-up lasts until every service settled, which a slow readiness check can stretch.
    'TimeoutStartSec=infinity',
    'Restart=on-failure',
    '',
    '[Install]',
    `WantedBy=${u.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ];
  return lines.join('\n');
}

/** `%` doubled: it starts a specifier everywhere in a unit file (systemd.unit(5), "Specifiers"). */
export function specifiers(text: string): string {
  return text.replaceAll('%', '%%');
}

/**
 * One argument of ExecStart= (systemd.service(5), "Command lines"): `$` would expand a variable
 * and `%` a specifier; whitespace, quotes and backslashes need double quotes.
 */
export function execArg(arg: string): string {
  const literal = specifiers(arg).replaceAll('$', '$$$$');
  return /^[A-Za-z0-9_@%+=:,./$-]+$/.test(literal) ? literal : quote(literal);
}

/** `text` in double quotes, its backslashes and double quotes escaped (systemd.syntax(7)). */
export function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
