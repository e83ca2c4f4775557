// `up`, `down` and `run`: bring the daemon and the services up, take them down, or supervise
// in the foreground.
import { formatIssue } from '../../config/format.js';
import { loadConfig } from '../../config/load.js';
import type { WardenConfig } from '../../config/types.js';
import { isPidRunning } from '../../effects/process-group.js';
import { CliError, homeOf, withClient, type GlobalOptions } from '../context.js';
import { EXIT, paint, print, write } from '../output.js';
import { ensureDaemon } from '../start-daemon.js';
import { parseTimeout, waitRunning } from './control.js';

/** Options of `up`. */
export interface UpOptions extends GlobalOptions {
  file: string;
  wait?: boolean;
  timeout?: string;
}

/** Reads and validates the config. @throws CliError (exit 2) listing every issue */
export async function readConfigOrExit(file: string): Promise<WardenConfig> {
  const loaded = await loadConfig(file);
  if (loaded.ok) return loaded.config;
  const lines = loaded.issues.map(formatIssue).join('\n');
  throw new CliError(`invalid config (nothing was started):\n${lines}`, EXIT.usage);
}

/** `warden up [-f FILE] [--wait] [SERVICE...]` */
export async function up(services: string[], options: UpOptions): Promise<number> {
  const config = await readConfigOrExit(options.file);
  const home = homeOf(options);
  let daemon;
  try {
    daemon = await ensureDaemon(home);
  } catch (error) {
    throw new CliError(
      `cannot start the daemon: ${error instanceof Error ? error.message : String(error)}`,
      EXIT.failed,
    );
  }
  const { client, started } = daemon;
  try {
    const hello = await client.call<{ pid: number }>('hello');
    const result = await client.call<{ started: string[]; changed: string[] }>('up', {
      config: config.path,
      targets: services,
    });
    const how = started ? 'started' : 'running';
    print(`warden: daemon ${how} (pid ${hello.pid}, home ${home.home})`);
    print(`warden: starting ${result.started.join(', ') || 'nothing'}`);
    if (result.changed.length > 0) {
      print(
        `warden: changed in the config, still running the old spec: ${result.changed.join(', ')} (use "warden restart")`,
      );
    }
    if (options.wait === true) await waitRunning(client, services, parseTimeout(options.timeout));
  } finally {
    client.close();
  }
  return EXIT.ok;
}

/** `warden down`: stops every service in order, then the daemon; returns once it has exited. */
export async function down(options: GlobalOptions): Promise<number> {
  const home = homeOf(options);
  const { pid, stopped } = await withClient(home, async (c) => {
    const hello = await c.call<{ pid: number }>('hello');
    const r = await c.call<{ stopped: number }>('down');
    return { pid: hello.pid, stopped: r.stopped };
  });
  const deadline = Date.now() + 10_000;
  while (isPidRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (isPidRunning(pid))
    throw new CliError(
      `the daemon (pid ${pid}) stopped its services but has not exited`,
      EXIT.failed,
    );
  print(`warden: stopped ${stopped} instance(s); daemon ${pid} exited`);
  return EXIT.ok;
}

/** `warden run [-f FILE]`: the supervisor in the foreground; output lines go to stdout. */
export async function run(options: { file: string } & GlobalOptions): Promise<number> {
  const config = await readConfigOrExit(options.file);
  const { runDaemon, StartupError } = await import('../../daemon/daemon.js');
  try {
    return await runDaemon({
      home: homeOf(options),
      config,
      echo: (_time, instance, stream, line) => {
        const tag = stream === 'err' ? paint('red', instance) : paint('cyan', instance);
        write(`${tag} | ${line}\n`);
      },
    });
  } catch (error) {
    if (error instanceof StartupError) throw new CliError(error.message, EXIT.failed);
    throw error;
  }
}
