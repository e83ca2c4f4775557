// createProbe: the readiness source of one instance from its `ready` and `watchdog` config.
import type { ReadySpec } from '../../config/types.js';
import { execAttempt, type ExecContext } from '../../effects/probes/exec.js';
import { httpAttempt } from '../../effects/probes/http.js';
import { ownerCheck, type TreeMembers } from '../../effects/probes/owned-listener.js';
import { tcpAttempt } from '../../effects/probes/tcp.js';
import { fdSource } from './fd-source.js';
import type { NotifyHub } from './notify-hub.js';
import { notifySource } from './notify-source.js';
import { pollSource } from './poll-source.js';
import type { ReadinessHooks, ReadinessProbe, SpawnExtras } from './types.js';

/** What createProbe needs from the daemon. */
export interface ProbeDeps {
  /** The daemon's notify socket (for `ready.notify` and `watchdog`). */
  notify: NotifyHub;
  /** The uid the instance runs as (config `user`), null: the daemon's; picks its notify socket. */
  uid?: number | null;
  /** The instance's InstanceTree.contains: which sd_notify senders are this instance's. */
  isMember: (pid: number) => boolean;
  /** The pids of the instance's live processes now: a tcp or http check counts only for their listeners. */
  members: TreeMembers;
  /** Where `ready.exec` runs: the service's cwd and environment. Default: the daemon's. */
  exec?: ExecContext;
}

/**
 * The readiness probe of `instance`: at most one source from `ready` (notify, fd, tcp, http,
 * exec, log; docs/config/ready.md), plus the notify socket whenever `watchdogMs` is set
 * (docs/config/watchdog.md). With neither, a probe that does nothing (the core counts
 * `min_uptime`). Each source calls `hooks.ready(kind)` at most once per run (between
 * `started()` and `stop()`); the ready timeout is the core's.
 */
export function createProbe(
  ready: ReadySpec | null,
  watchdogMs: number | null,
  instance: string,
  hooks: ReadinessHooks,
  deps: ProbeDeps,
): ReadinessProbe {
  const parts: ReadinessProbe[] = [];
  const check = ready?.check;
  if (check?.kind === 'notify' || watchdogMs !== null) {
    const isReadiness = check?.kind === 'notify';
    const { notify: hub, isMember } = deps;
    const uid = deps.uid ?? null;
    parts.push(notifySource({ instance, hub, uid, isMember, isReadiness, watchdogMs, hooks }));
  }
  if (ready !== null && check !== undefined && check.kind !== 'notify') {
    const interval = ready.intervalMs;
    switch (check.kind) {
      case 'fd':
        parts.push(fdSource(check.fd, hooks));
        break;
      case 'tcp': {
        const target = check.host.includes(':') ? `[${check.host}]` : check.host;
        const attempt = tcpAttempt(check.host, check.port, ownerCheck(deps.members));
        parts.push(pollSource('tcp', `${target}:${check.port}`, interval, attempt, hooks));
        break;
      }
      case 'http': {
        const attempt = httpAttempt(check.url, ownerCheck(deps.members));
        parts.push(pollSource('http', check.url, interval, attempt, hooks));
        break;
      }
      case 'exec': {
        const context = deps.exec ?? { cwd: process.cwd(), env: process.env };
        const shown = check.command.kind === 'shell' ? check.command.script : check.command.argv;
        const attempt = execAttempt(check.command, context);
        parts.push(pollSource('exec', JSON.stringify(shown), interval, attempt, hooks));
        break;
      }
      case 'log':
        parts.push(logSource(check.pattern, hooks));
        break;
    }
  }
  return combine(parts);
}

// Ready at the first stdout or stderr line that matches `pattern` (a JavaScript RegExp).
function logSource(pattern: string, hooks: ReadinessHooks): ReadinessProbe {
  let regex: RegExp | undefined;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    hooks.log(`ready log: invalid pattern ${JSON.stringify(pattern)}: ${String(error)}`);
  }
  let isWatching = false;
  return {
    extras: () => ({ env: {}, pipes: [] }),
    started: () => void (isWatching = regex !== undefined),
    line(_stream, text) {
      if (!isWatching || regex === undefined || !regex.test(text)) return;
      isWatching = false;
      hooks.ready('log');
    },
    stop: () => void (isWatching = false),
    close: () => void (isWatching = false),
  };
}

function combine(parts: ReadinessProbe[]): ReadinessProbe {
  return {
    extras(): SpawnExtras {
      const all = parts.map((p) => p.extras());
      const failure = all.find((e) => e.failure !== undefined)?.failure;
      return {
        env: Object.assign({}, ...all.map((e) => e.env)) as Record<string, string>,
        pipes: all.flatMap((e) => e.pipes),
        ...(failure === undefined ? {} : { failure }),
      };
    },
    started: (child) => parts.forEach((p) => p.started(child)),
    line: (stream, text) => parts.forEach((p) => p.line(stream, text)),
    stop: () => parts.forEach((p) => p.stop()),
    close: () => parts.forEach((p) => p.close()),
    drain: () => parts.forEach((p) => p.drain?.()),
  };
}
