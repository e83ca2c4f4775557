// `up`, `down` and `run`: bring the daemon and the services up, take them down, or supervise
// in the foreground.
import { formatIssue } from '../../config/format.js';
import { loadConfig, type ConfigSource } from '../../config/load.js';
import { variableNames } from '../../config/variables.js';
import type { WardenConfig } from '../../config/types.js';
import { instanceName } from '../../core/instance.js';
import { isPidRunning } from '../../effects/containment/process-group.js';
import type { HomePaths } from '../../home/paths.js';
import { readPid } from '../../home/pid-file.js';
import { StartupError } from '../../home/take-home.js';
import {
  connectControl,
  DaemonTimeoutError,
  RemoteError,
  type ControlClient,
} from '../../ipc/client.js';
import { PROTOCOL_VERSION } from '../../ipc/protocol.js';
import { answerTimeoutOf, CliError, homeOf, withClient, type GlobalOptions } from '../context.js';
import { EXIT, instanceList, paint, print, printError, write } from '../output.js';
import { DaemonStartError, ensureDaemon } from '../start-daemon.js';
import { UntrustedError } from '../../effects/files/home-trust.js';
import { closeHungUpTerminals, terminalFds } from '../../effects/files/controlling-terminal.js';
import { printPlan } from './apply-notes.js';
import { parseTimeout, waitRunning, withProgress, type Quiet } from './control.js';

/** Options of `up`. */
export interface UpOptions extends GlobalOptions, Quiet {
  file: string;
  portBase?: string;
  wait?: boolean;
  timeout?: string;
}

/** `--port-base`: a TCP port, with room for 100 per process type above it. @throws CliError (exit 2) */
function parsePortBase(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new CliError(`--port-base: "${text}" is not a port (1-65535), e.g. 5000`, EXIT.usage);
  return port;
}

/**
 * Reads and validates the config (a Procfile with PORTs from `portBase`, docs/cli/up.md).
 * @returns it, and the document it was built from (what `up` sends the daemon)
 * @throws CliError (exit 2) listing every issue
 */
export async function readConfigOrExit(
  file: string,
  portBase?: string,
): Promise<{ config: WardenConfig; source: ConfigSource }> {
  const loaded = await loadConfig(file, { portBase: parsePortBase(portBase) });
  if (loaded.ok) return loaded;
  const lines = loaded.issues.map(formatIssue).join('\n');
  throw new CliError(`invalid config (nothing was started):\n${lines}`, EXIT.usage);
}

/**
 * `warden up [-f FILE] [--wait] [SERVICE...]`. A daemon this call started is stopped again when
 * the `up` request fails, so none is left running without a config.
 */
export async function up(services: string[], options: UpOptions): Promise<number> {
  const { config, source } = await readConfigOrExit(options.file, options.portBase);
  checkNames(config, services);
  const timeoutMs = options.wait === true ? parseTimeout(options.timeout) : 0;
  // Without --wait, `up --timeout` is the answer timeout (docs/cli/up.md).
  const silenceMs = answerTimeoutOf({
    answerTimeout: options.answerTimeout ?? (options.wait === true ? undefined : options.timeout),
  });
  const home = homeOf(options);
  for (let attempt = 1; ; attempt++) {
    const { client, started } = await connectOrStart(home, silenceMs);
    let configured = !started;
    try {
      const hello = await client.call('hello', {});
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new CliError(
          `the daemon (pid ${hello.pid}) speaks protocol ${hello.protocol}, this warden ${PROTOCOL_VERSION}; run "warden down" first`,
          EXIT.failed,
        );
      }
      const sentAt = Date.now();
      const result = await client.call('up', {
        config: config.path,
        source,
        targets: services,
        ...(config.portBase === undefined ? {} : { portBase: config.portBase }),
        variables: Object.fromEntries(
          variableNames(source.document).map((name) => [name, process.env[name] ?? null]),
        ),
      });
      configured = true;
      const quiet = options.quiet === true;
      if (!quiet) {
        const daemon = `${started ? 'started' : 'running'} (pid ${hello.pid}, home ${home.home})`;
        print(`warden: daemon ${daemon}`);
        print(`warden: started ${instanceList(result.started) || 'nothing (all were running)'}`);
        const scheduled = scheduledTargets(config, services, result.started);
        if (scheduled.length > 0) {
          const now = `"warden start ${scheduled.length === 1 ? scheduled[0]! : 'NAME'}" runs it now`;
          print(`warden: scheduled ${scheduled.join(', ')} (at its schedule; ${now})`);
        }
      }
      for (const warning of result.warnings ?? []) printError(`warning: ${warning}`);
      const { removed, changed, updated, scaled } = result;
      if (!quiet && [removed, changed, updated, scaled].some((list) => list.length > 0))
        printPlan({ ...result, added: [], unchanged: [] });
      if (options.wait === true)
        await withProgress(
          options,
          services,
          'running',
          () => waitRunning(client, services, timeoutMs),
          { since: sentAt, catchUp: true },
        );
      return EXIT.ok;
    } catch (error) {
      if (!configured) await stopUnconfigured(home, silenceMs);
      // A daemon on its way out: wait until it is gone, then start a fresh one (once).
      if (!(error instanceof RemoteError && error.code === 'SHUTTING_DOWN') || attempt > 1)
        throw error;
      await waitUntilGone(home.pidFile);
    } finally {
      client.close();
    }
  }
}

// The daemon this `up` started got no config: stop it (`down` on a new connection, as the old
// one may be closed, e.g. after a request line too long), or SIGTERM it when it does not answer.
async function stopUnconfigured(home: HomePaths, silenceMs: number): Promise<void> {
  try {
    const client = await connectControl(home.socket, { timeoutMs: silenceMs });
    try {
      const report = await client.call('status', { targets: [] });
      // Another `up` gave it a config meanwhile: it stays.
      if (report.daemon.config !== null) return;
      await client.call('down', {});
    } finally {
      client.close();
    }
  } catch {
    const pid = readPid(home.pidFile);
    if (pid === null) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return; // ESRCH: gone already
    }
  }
  await waitUntilGone(home.pidFile);
  printError('the daemon this "up" started was stopped again (it had no config)');
}

// Unknown names are a usage error before anything is started.
// The scheduled tasks among the targets of `up` (all when none are named) that it did not start:
// their schedule will (a task named on the command line runs now, as with `start`).
function scheduledTargets(config: WardenConfig, targets: string[], started: string[]): string[] {
  const all = targets.length === 0 || targets.includes('all');
  return config.services
    .filter((s) => s.schedule !== null && (all || targets.includes(s.name)))
    .map((s) => s.name)
    .filter((name) => !started.includes(name));
}

function checkNames(config: WardenConfig, names: string[]): void {
  const known = new Set<string>(['all']);
  for (const s of config.services) {
    known.add(s.name);
    for (let i = 0; i < s.instances; i++) known.add(instanceName(s.name, i, s.instances));
  }
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    const list = config.services.map((s) => s.name).join(', ');
    throw new CliError(
      `unknown service ${unknown.map((n) => `"${n}"`).join(', ')} in ${config.path} (known: ${list})`,
      EXIT.usage,
    );
  }
}

async function connectOrStart(
  home: HomePaths,
  silenceMs: number,
): Promise<{ client: ControlClient; started: boolean }> {
  try {
    return await ensureDaemon(home, { timeoutMs: silenceMs });
  } catch (error) {
    // A refused home or daemon is a usage error, said as it is (exit 2).
    if (error instanceof UntrustedError) throw error;
    if (error instanceof DaemonStartError && error.code === 'UNTRUSTED')
      throw new CliError(error.message, EXIT.usage);
    if (error instanceof DaemonTimeoutError) throw error;
    throw new CliError(
      `cannot start the daemon: ${error instanceof Error ? error.message : String(error)}`,
      EXIT.failed,
    );
  }
}

async function waitUntilGone(pidFile: string): Promise<void> {
  const pid = readPid(pidFile);
  const deadline = Date.now() + 60_000;
  while (pid !== null && isPidRunning(pid) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}

/**
 * `warden down`: stops every service in order, then the daemon; returns once it has exited.
 * `--keep-services`: only the daemon exits; the next `warden up` takes the services back.
 */
export async function down(
  options: GlobalOptions & Quiet & { keepServices?: boolean },
): Promise<number> {
  const keepServices = options.keepServices === true;
  const shutdown = (): Promise<{ pid: number; stopped: number; kept: number }> =>
    withClient(options, async (c) => {
      const hello = await c.call('hello', {});
      const r = await c.call('down', { keepServices });
      return { pid: hello.pid, stopped: r.stopped, kept: r.kept ?? 0 };
    });
  // With --keep-services nothing changes state: nothing to show.
  const { pid, stopped, kept } = keepServices
    ? await shutdown()
    : await withProgress(options, [], 'stopped', shutdown);
  const deadline = Date.now() + 10_000;
  while (isPidRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (isPidRunning(pid))
    throw new CliError(
      `the daemon (pid ${pid}) stopped its services but has not exited`,
      EXIT.failed,
    );
  if (options.quiet !== true)
    print(
      keepServices
        ? `warden: daemon ${pid} exited; ${kept} instance(s) left running for the next "warden up"`
        : `warden: stopped ${stopped} instance(s); daemon ${pid} exited`,
    );
  return EXIT.ok;
}

/**
 * `warden run [-f FILE] [--exit-on-failure]`: the supervisor in the foreground; output lines go
 * to stdout. Exits with the code of an `on_exit: shutdown` service that ended, 1 with
 * `--exit-on-failure` when an instance failed (docs/cli/run.md).
 */
export async function run(
  options: { file: string; portBase?: string; exitOnFailure?: boolean } & GlobalOptions,
): Promise<number> {
  const { config } = await readConfigOrExit(options.file, options.portBase);
  // `warden run` is the daemon in the foreground: the CLI's one door into the composition root.
  const { runDaemon } = await import('../../daemon/daemon.js');
  // A reader of our stdout that goes away (`warden run | head`) must not take the supervisor down.
  let echoing = true;
  process.stdout.on('error', () => (echoing = false));
  // Nor a terminal that closed (EIO): the shutdown that its SIGHUP starts still runs to its end.
  process.stderr.on('error', () => undefined);
  const terminals = terminalFds();
  try {
    return await runDaemon({
      home: homeOf(options),
      config,
      notifyManager: true,
      exitOnFailure: options.exitOnFailure === true,
      echo: (_time, instance, stream, line) => {
        if (!echoing) return;
        const tag = stream === 'err' ? paint('red', instance) : paint('cyan', instance);
        write(`${tag} | ${line}\n`);
      },
    });
  } catch (error) {
    if (error instanceof StartupError)
      throw new CliError(error.message, error.code === 'UNTRUSTED' ? EXIT.usage : EXIT.failed);
    throw error;
  } finally {
    closeHungUpTerminals(terminals);
  }
}
