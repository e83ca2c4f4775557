// The daemon process: takes its home (pid-file lock, socket), serves the control protocol and
// runs the supervisor until SIGTERM or `down`. Used detached (`warden up`) and in the foreground
// (`warden run`).
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import type { WardenConfig } from '../config/types.js';
import { openExitWatcher } from '../effects/exit/exit-watch.js';
import { foreignProcReason, isDead, readProc } from '../effects/containment/proc.js';
import { reopenOutputPipes } from '../effects/spawn/output-pipes.js';
import { outputPipesOf, spawnInstance } from '../effects/spawn/spawn.js';
import { pidOf } from '../core/instance.js';
import { chooseContainment } from '../effects/containment/containment.js';
import { limitSupportLines } from './limits-fit.js';
import { hasControllingTerminal } from '../effects/files/controlling-terminal.js';
import { startReaper } from '../effects/exit/reaper.js';
import { removeProofKey, writeProofKey } from '../ipc/daemon-proof.js';
import { listenControl, type ControlServer, type MethodTable } from '../ipc/server.js';
import { systemClock } from '../runtime/clock.js';
import { Leftovers } from '../runtime/leftovers.js';
import { Supervisor } from '../runtime/supervisor/supervisor.js';
import type { LineSink } from '../runtime/runner/options.js';
import { VERSION } from '../version.js';
import { createProbe } from '../runtime/readiness/probe.js';
import { openNotifyHub } from '../runtime/readiness/notify-hub.js';
import { userSocketDir } from '../home/user-sockets.js';
import { EventBus } from './events.js';
import { fdLimitWarning, raiseFdLimit } from './fd-fit.js';
import type { HomePaths } from '../home/paths.js';
import { peerCheck } from './peer.js';
import { STATE_FORMAT, StateSaver } from './state-file.js';
import { removeState, restoreState } from './restore-state.js';
import { asStartup, removeSocket, StartupError, takeHome } from '../home/take-home.js';
import { syncControl } from './control-access.js';
import { makeMethods, reload, type DaemonContext } from './methods.js';
import { HttpHolder, httpSource } from './http-sync.js';
import { runEndOf } from './run-end.js';

/** How the daemon runs. */
export interface DaemonOptions {
  home: HomePaths;
  /** A config to load and start at once (`warden run`); the detached daemon waits for `up`. */
  config?: WardenConfig;
  /** Receives every service output line (foreground mode prints them). */
  echo?: LineSink;
  /** Called once the socket listens (the handshake of the detached daemon). */
  onListening?: () => void;
  /** Speak sd_notify to $NOTIFY_SOCKET, if set (`warden run` under systemd Type=notify). */
  notifyManager?: boolean;
  /** `warden run --exit-on-failure`: the first instance to reach `failed` ends the run (exit 1). */
  exitOnFailure?: boolean;
}

/** Writes one line to the daemon's log (its stderr), stamped in UTC. Synchronous for files. */
export function logLine(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * Runs the daemon until it is told to stop. Resolves with the exit code once every service has
 * stopped and the socket is closed (the caller then lets the process end).
 * @throws StartupError when the home is taken by another daemon, its socket cannot be bound, or
 *   /proc is not of this PID namespace (PROC_MISMATCH)
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { home } = options;
  // Every pid the daemon reads, waits for and signals comes from /proc: a foreign one is refused
  // before anything is started.
  const foreign = foreignProcReason();
  if (foreign !== undefined) throw new StartupError('PROC_MISMATCH', foreign);
  // Signals that arrive before we can act on them are kept, not lost (or fatal).
  let early: string | undefined;
  let onSignal = (name: string): void => void (early ??= name);
  // With a controlling terminal (`warden run` typed in one), a SIGHUP says the terminal closed:
  // stop everything, as for SIGTERM, rather than reload and live on without it (docs/cli/run.md).
  const hangupStops = hasControllingTerminal();
  const stopSignals = hangupStops ? ['SIGTERM', 'SIGINT', 'SIGHUP'] : ['SIGTERM', 'SIGINT'];
  const handlers = stopSignals.map((name) => {
    const handler = (): void => onSignal(name);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  process.on('SIGPIPE', () => undefined);
  process.on('uncaughtException', (error) =>
    logLine(`uncaught exception (still running): ${error.stack ?? String(error)}`),
  );

  logLine(raiseFdLimit());
  const lock = takeHome(home);
  const stopReaper = startReaper();
  const containment = chooseContainment(home.home, process.env.WARDEN_CONTAINMENT, logLine);
  logLine(
    containment.mode === 'cgroup'
      ? `containment: cgroup v2, instances started in their leaf ${containment.startMode() === 'clone3' ? 'by warden-spawner (clone3)' : 'by a sh wrapper (no warden-spawner: slower starts)'}`
      : `containment: process groups (${containment.fallbackReason ?? ''})`,
  );
  const limits = { mode: containment.mode, missing: containment.missingControllers };
  for (const line of limitSupportLines(limits)) logLine(line);
  const events = new EventBus();
  const opened = openNotifyHub(join(home.home, 'notify.sock'), logLine, {
    dir: userSocketDir(home.home),
    daemonUid: process.getuid?.() ?? -1,
  });
  // A start that fails leaves nothing of this daemon behind: the home's lock, its reaper, the
  // notify sockets and the cgroups made so far (empty: nothing was started yet).
  const abandon = async (error: StartupError): Promise<never> => {
    if (opened.ok) await opened.hub.close();
    await containment.close(0);
    removeProofKey(home.proofKey);
    closeSync(lock);
    stopReaper();
    throw error;
  };
  if (!opened.ok)
    return abandon(
      new StartupError(opened.error.code, `cannot open the notify socket: ${opened.error.message}`),
    );
  const notify = opened.hub;
  const exits = openExitWatcher();
  let saver: StateSaver | undefined;
  // What an earlier daemon of this home left running, found in the system itself (not only in
  // state.json, which may be missing, stale or corrupt): taken back, never started twice.
  const leftovers = new Leftovers(containment.leftovers());
  if (leftovers.size > 0)
    logLine(`found ${leftovers.size} process trees an earlier daemon of this home started`);
  const supervisor = new Supervisor({
    leftovers,
    clock: systemClock,
    processes: {
      spawn: spawnInstance,
      tree: (name) => containment.tree(name),
      startTimeOf: (pid) => {
        const p = readProc(pid);
        return p === undefined || isDead(p) ? undefined : p.startTime;
      },
      pipesOf: outputPipesOf,
      reopenOutput: reopenOutputPipes,
      watchExit: (pid, startTime, onExit) => exits.watch(pid, startTime, onExit),
    },
    onRecordChange: () => saver?.schedule(),
    logDir: home.logDir,
    baseEnv: process.env,
    log: logLine,
    probes: (spec, name, hooks, isMember, members) =>
      createProbe(spec.ready, spec.watchdogMs, name, hooks, {
        notify,
        uid: spec.privileges.runAs?.uid ?? null,
        isMember,
        members,
        exec: { cwd: spec.cwd, env: { ...process.env, ...spec.env } },
      }),
    onChange: (runner, from, reason) => {
      const end = runEndOf(runner, from, options.exitOnFailure === true);
      if (end !== null && !ctx.isShuttingDown()) {
        endCode = end.code;
        void ctx.shutdown(end.why);
      }
      const now = runner.model.current;
      events.publish({
        time: Date.now(),
        instance: runner.name,
        service: runner.spec.name,
        from: from.state,
        to: now.state,
        reason,
        pid: pidOf(now),
      });
    },
    ...(options.echo === undefined ? {} : { echo: options.echo }),
  });
  // Before any spawn: it takes NOTIFY_SOCKET and WATCHDOG_* out of the environment.
  const manager =
    options.notifyManager === true && process.env.NOTIFY_SOCKET !== undefined
      ? (await import('./service-manager.js')).openServiceManager(supervisor, events, logLine)
      : undefined;

  let shuttingDown: Promise<void> | undefined;
  // The exit code an ending service gave the run (on_exit: shutdown, --exit-on-failure).
  let endCode: number | undefined;
  let control: ControlServer | undefined;
  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (finish = resolve));

  let proofKey: Buffer;
  try {
    // Before the socket listens: every client that reaches it can have its proof.
    proofKey = writeProofKey(home.proofKey);
  } catch (error) {
    return abandon(asStartup(error, `cannot write ${home.proofKey}`));
  }
  // The REST API calls the same method table as warden.sock (made once `ctx` exists).
  let methods: MethodTable | undefined;
  const table = (): MethodTable => (methods ??= makeMethods(ctx));
  const http = new HttpHolder(
    httpSource(supervisor, events, VERSION, home.logDir, table, logLine),
    logLine,
  );
  const ctx: DaemonContext = {
    supervisor,
    home,
    proofKey,
    version: VERSION,
    containment: containment.mode,
    limits,
    events,
    http,
    log: logLine,
    ...(manager === undefined ? {} : { serviceManager: manager }),
    isShuttingDown: () => shuttingDown !== undefined,
    shutdown: (why, keepServices = false) => {
      shuttingDown ??= (async () => {
        manager?.stopping();
        let incomplete = false;
        if (keepServices) {
          logLine(`shutting down: ${why}; services keep running`);
          supervisor.detachAll();
          await saver?.flush();
          await supervisor.close();
          await notify.close();
          await exits.close();
          logLine('state saved; the next daemon of this home takes the services back');
        } else {
          logLine(`shutting down: ${why}; stopping every service`);
          supervisor.beginShutdown();
          await supervisor.stopAll();
          await supervisor.close();
          await notify.close();
          await exits.close();
          await saver?.flush();
          saver = undefined;
          removeState(home.state);
          const strays = await containment.killUnattributed();
          for (const p of strays)
            logLine(
              `killed pid ${p.pid} (${p.comm}): reparented to the daemon, attributed to no instance`,
            );
          const busy = await containment.close();
          if (busy.length > 0) logLine(`cgroups left behind (still busy): ${busy.join(', ')}`);
          // Exit 1 when some process outlived SIGKILL: the stop was not complete.
          incomplete = supervisor.resolve([]).some((r) => r.survivors.length > 0);
          logLine(
            incomplete ? 'stopped, but some processes survived SIGKILL' : 'every service stopped',
          );
        }
        // Answers to requests that ended with the stop (`down`, `stop`, `wait`) go out first.
        setImmediate(() => {
          void http.close();
          control?.close();
          removeSocket(home.socket);
          removeProofKey(home.proofKey);
          stopReaper();
          closeSync(lock);
          manager?.close();
          for (const off of handlers) off();
          finish(endCode ?? (incomplete ? 1 : 0));
        });
      })();
      return shuttingDown;
    },
  };

  try {
    // `warden run`'s config: an address that cannot be bound stops the start-up here.
    await http.sync(options.config?.http);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return abandon(new StartupError('CONFIG_ERROR', message));
  }
  try {
    control = await listenControl(
      home.socket,
      table(),
      logLine,
      peerCheck(() => supervisor.config?.control),
    );
  } catch (error) {
    await http.close();
    return abandon(asStartup(error, `cannot listen on ${home.socket}`));
  }
  logLine(`warden ${VERSION} daemon ${process.pid} listening on ${home.socket}`);

  onSignal = (name) =>
    void ctx.shutdown(name === 'SIGHUP' ? 'SIGHUP (the controlling terminal closed)' : name);
  if (hangupStops)
    logLine('a controlling terminal: SIGHUP stops every service; "warden reload" reloads');
  else
    process.on('SIGHUP', () => {
      if (ctx.isShuttingDown()) return logLine('SIGHUP ignored: shutting down');
      reload(ctx).catch((error: unknown) =>
        logLine(
          `SIGHUP reload failed, nothing changed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    });

  // An external logrotate renamed the files: write on in new ones (as `warden logs --reopen`).
  process.on('SIGUSR2', () => {
    supervisor
      .reopenLogs()
      .then((files) => logLine(`SIGUSR2: reopened ${files.length} log files`))
      .catch((error: unknown) => logLine(`SIGUSR2: reopening the logs failed: ${String(error)}`));
  });

  await restoreState(supervisor, home.state, logLine);
  saver = new StateSaver(
    home.state,
    () => ({
      format: STATE_FORMAT,
      warden: VERSION,
      daemonPid: process.pid,
      savedAt: Date.now(),
      config: supervisor.config?.path ?? null,
      services: supervisor.records(),
    }),
    logLine,
  );
  saver.schedule();
  if (options.config !== undefined) {
    const warning = fdLimitWarning(options.config);
    if (warning !== undefined) logLine(warning);
    await supervisor.apply(options.config);
    syncControl(ctx, undefined, options.config.control);
    supervisor.start([]);
    manager?.started();
  }
  options.onListening?.();
  if (early !== undefined) void ctx.shutdown(early);
  return exited;
}
