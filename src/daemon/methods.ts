// The daemon's handlers of the control protocol: one per method of the protocol map
// (ipc/protocol.ts), which types the CLI and the library client too.
import { environmentWarnings } from '../config/variables.js';
import { pidOf, type InstanceModel } from '../core/instance.js';
import { parseSignal } from '../core/signals.js';
import type { ServiceKind } from '../core/spec.js';
import { isFine } from '../core/task.js';
import { commandLine } from '../effects/containment/proc.js';
import { proofOf } from '../ipc/daemon-proof.js';
import { PROTOCOL_VERSION, ProtocolError } from '../ipc/protocol.js';
import { METHOD_PARAMS, parseParams as parse } from '../ipc/method-params.js';
import type { MethodTable } from '../ipc/server.js';
import { systemClock } from '../runtime/clock.js';
import { syncControl } from './control-access.js';
import { streamEvents } from './events.js';
import { subscribeWithFigures } from './figures.js';
import { fdLimitWarning } from './fd-fit.js';
import { isGroupPeer } from './peer.js';
import { answerWithCodes } from './protocol-errors.js';
import { logApplied, readConfig, reload } from './apply-config.js';
import type { DaemonContext } from './context.js';

export type { DaemonContext } from './context.js';
export { reload } from './apply-config.js';

const P = METHOD_PARAMS;

/**
 * Builds the method table over `ctx` (params and results: ipc/protocol.ts, docs/protocol.md).
 * The runtime's refusals reach the wire with their protocol codes (protocol-errors.ts).
 */
export function makeMethods(ctx: DaemonContext): MethodTable {
  return answerWithCodes(handlers(ctx));
}

function handlers(ctx: DaemonContext): MethodTable {
  const sup = ctx.supervisor;
  const refuseWhenStopping = (): void => {
    if (ctx.isShuttingDown())
      throw new ProtocolError('SHUTTING_DOWN', 'the daemon is shutting down');
  };
  return {
    hello: () => ({ protocol: PROTOCOL_VERSION, version: ctx.version, pid: process.pid }),

    // Only to root and the daemon's user, who can read the key anyway (not to control.group).
    prove: (_params, peer) => {
      if (isGroupPeer(peer))
        throw new ProtocolError('PERMISSION_DENIED', "the proof is for root and the daemon's user");
      return { proof: proofOf(ctx.proofKey) };
    },

    status: (params) => ({
      daemon: {
        pid: process.pid,
        version: ctx.version,
        home: ctx.home.home,
        config: sup.config?.path ?? null,
        containment: ctx.containment,
      },
      instances: sup.status(parse(P.status, params).targets),
      sockets: sup.sockets(parse(P.status, params).targets),
    }),

    up: async (params) => {
      refuseWhenStopping();
      const p = parse(P.up, params);
      const current = sup.config?.path;
      if (current !== undefined && current !== p.config) {
        throw new ProtocolError(
          'CONFIG_MISMATCH',
          `this daemon runs ${current}, not ${p.config}; run "warden down" first or use another --home`,
        );
      }
      const config = await readConfig(ctx, p.config, p.source, p.portBase);
      const before = sup.config?.control;
      await ctx.http.sync(config.http);
      const applied = await sup.apply(config);
      syncControl(ctx, before, config.control);
      logApplied(ctx, 'up', applied);
      const warning = fdLimitWarning(config);
      const warnings = [
        ...(warning === undefined ? [] : [warning]),
        ...environmentWarnings(p.variables ?? {}, process.env),
      ];
      for (const w of warnings) ctx.log(`up: ${w}`);
      const started = sup.start(p.targets).map((r) => r.name);
      return { ...applied, started, warnings };
    },

    reload: async (params) => {
      refuseWhenStopping();
      return reload(ctx, parse(P.reload, params).dryRun);
    },

    start: (params) => {
      refuseWhenStopping();
      return { instances: sup.start(parse(P.start, params).targets).map((r) => r.name) };
    },

    stop: async (params) => {
      const runners = await sup.stop(parse(P.stop, params).targets);
      return { instances: runners.map((r) => ({ ...r.status(), survivors: r.survivors })) };
    },

    restart: async (params) => {
      refuseWhenStopping();
      const p = parse(P.restart, params);
      if (!p.rolling) return { instances: (await sup.restart(p.targets)).map((r) => r.name) };
      if (p.targets.length !== 1 || p.targets[0] === 'all')
        throw new ProtocolError('INVALID_PARAMS', 'a rolling restart takes exactly one service');
      const service = /^(.+):\d+$/.exec(p.targets[0] ?? '')?.[1];
      if (service !== undefined) {
        const why = `a rolling restart takes a service name, not an instance: try "${service}"`;
        throw new ProtocolError('INVALID_PARAMS', why);
      }
      return { instances: await sup.rollingRestart(p.targets[0] ?? '') };
    },

    signal: (params) => {
      const p = parse(P.signal, params);
      const signal = parseSignal(p.signal);
      if (signal === undefined) {
        throw new ProtocolError(
          'INVALID_PARAMS',
          `unknown signal "${p.signal}"; use e.g. SIGHUP, HUP or 1`,
        );
      }
      return { signal, instances: sup.signal(signal, p.targets) };
    },

    wait: async (params, peer) => {
      const p = parse(P.wait, params);
      const runners = sup.resolve(p.targets);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), p.timeoutMs);
      });
      const abandon = new AbortController();
      peer.once('close', () => abandon.abort());
      // A service held for its dependencies is not settled: it starts once they are ready.
      const settled = Promise.all(
        runners.map((r) =>
          r.until((m) => isSettled(m, r.spec.kind) && !sup.isWaiting(r), abandon.signal),
        ),
      );
      const outcome = await Promise.race([settled, timeout]);
      clearTimeout(timer);
      abandon.abort();
      const statuses = runners.map((r) => r.status());
      // A task that succeeded is as it is meant to be; one that failed is not.
      const notRunning = statuses.filter((s) => !isFine(s.kind, s.state));
      if (notRunning.length === 0) return { instances: statuses };
      const why = outcome === 'timeout' ? `not running after ${p.timeoutMs}ms` : 'not running';
      const list = notRunning
        .map((s) => {
          const readiness = s.waiting === null ? '' : ` (not ready: ${s.waiting})`;
          return `${s.name} is ${s.state}${readiness}`;
        })
        .join(', ');
      throw new ProtocolError('NOT_RUNNING', `${why}: ${list}`, notRunning);
    },

    ps: (params) =>
      sup.resolve(parse(P.ps, params).targets).map((r) => ({
        instance: r.name,
        state: r.model.current.state,
        pid: pidOf(r.model.current),
        processes: r.members().map((p) => ({
          pid: p.pid,
          ppid: p.ppid,
          command: commandLine(p.pid),
          rssBytes: p.rssBytes,
          cpuSeconds: p.cpuSeconds,
        })),
        tree: r.status().tree,
        sockets: sup.sockets([r.spec.name]).map(({ fd, name, bound }) => ({ fd, name, bound })),
      })),

    // Closes and reopens every log file, after an external logrotate renamed them (docs/cli/logs.md).
    'logs-reopen': async () => {
      const files = await sup.reopenLogs();
      ctx.log(`reopened ${files.length} log files`);
      return { files };
    },

    subscribe: (params, peer) => {
      const p = parse(P.subscribe, params);
      if (p.figuresMs !== undefined) {
        const options = { figuresMs: p.figuresMs, clock: systemClock };
        return { subscribed: subscribeWithFigures(sup, ctx.events, peer, p.targets, options) };
      }
      const names = new Set(sup.resolve(p.targets).map((r) => r.name));
      streamEvents(ctx.events, peer, (e) => names.has(e.instance));
      return { subscribed: [...names] };
    },

    down: async (params) => {
      const { keepServices } = parse(P.down, params);
      const count = sup.status().length;
      if (keepServices) {
        await ctx.shutdown('down --keep-services requested', true);
        return { stopped: 0, kept: count };
      }
      await ctx.shutdown('down requested');
      return { stopped: count, kept: 0 };
    },
  };
}

// `wait` is over once an instance runs (a task: once it ended), or can no longer get there by itself.
function isSettled(m: InstanceModel, kind: ServiceKind): boolean {
  const s = m.current.state;
  if (s === 'running') return kind !== 'task';
  return s === 'failed' || s === 'exited' || s === 'stopped';
}
