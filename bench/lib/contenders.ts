// The two supervisors under test, each in a temp home of its own: how to write its config for N
// services, and the commands that start, query and stop it. Both are told the same: restart
// always, with no delay, and never give up; PM2 from npm (a dev dependency), warden as built.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv } from './command.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The `warden` executable, as a user runs it. */
export const WARDEN = join(ROOT, 'bin', 'warden');
/** PM2's CLI from node_modules. */
export const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/** One supervisor, set up in `dir`. */
export interface Contender {
  readonly name: 'warden' | 'PM2';
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Writes the config of `count` services named s0..s{count-1}, each running `command`. */
  writeConfig(count: number, command: readonly string[]): void;
  /** Starts the daemon if none runs and every service; returns once all are up. */
  readonly up: readonly string[];
  /** Stops every service, then the daemon. */
  readonly down: readonly string[];
  readonly statusJson: readonly string[];
  readonly statusTable: readonly string[];
  /** The daemon's pid from its pid file, or undefined before it started. */
  daemonPid(): number | undefined;
}

function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The argv of `node SCRIPT ARGS...`. */
const cliOf =
  (script: string) =>
  (...args: string[]): string[] => [process.execPath, script, ...args];

/** warden with WARDEN_HOME in `dir`. */
export function warden(dir: string): Contender {
  const home = join(dir, 'home');
  const config = join(dir, 'warden.yaml');
  mkdirSync(dir, { recursive: true });
  const cli = cliOf(WARDEN);
  return {
    name: 'warden',
    dir,
    env: benchEnv({ WARDEN_HOME: home }),
    writeConfig(count, command) {
      const services: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        services[`s${i}`] = {
          // `$$` is a literal `$` in warden.yaml (docs/config/variables.md): the shell's `$$`.
          command: command.map((word) => word.replaceAll('$', '$$$$')),
          min_uptime: 0, // `running` once spawned, as PM2's `online`
          backoff: { initial: 0, max: 0 },
          start_limit: { burst: 1000, interval: '1s' },
        };
      }
      // JSON is YAML: one line per service.
      writeFileSync(
        config,
        `services:\n${Object.entries(services)
          .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
          .join('')}`,
      );
    },
    up: cli('up', '--wait', '--timeout', '300s', '-f', config),
    down: cli('down'),
    statusJson: cli('status', '--json'),
    statusTable: cli('status'),
    daemonPid: () => pidFrom(join(home, 'warden.pid')),
  };
}

/** PM2 with PM2_HOME in `dir`. */
export function pm2(dir: string): Contender {
  const home = join(dir, 'pm2-home');
  const config = join(dir, 'ecosystem.json');
  mkdirSync(home, { recursive: true });
  const cli = cliOf(PM2);
  return {
    name: 'PM2',
    dir,
    env: benchEnv({ PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true' }),
    writeConfig(count, command) {
      const [script, ...args] = command;
      const apps = Array.from({ length: count }, (_, i) => ({
        name: `s${i}`,
        script,
        args,
        interpreter: 'none', // exec the program itself, not through node
        exec_mode: 'fork',
        autorestart: true,
        restart_delay: 0,
        min_uptime: 100,
        max_restarts: 100_000,
      }));
      writeFileSync(config, JSON.stringify({ apps }));
    },
    up: cli('start', config),
    down: cli('kill'),
    statusJson: cli('jlist'),
    statusTable: cli('ls'),
    daemonPid: () => pidFrom(join(home, 'pm2.pid')),
  };
}
