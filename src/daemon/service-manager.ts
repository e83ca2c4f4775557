// sd_notify(3) from `warden run` to the service manager that runs it (systemd `Type=notify`):
// READY=1 once every instance has settled, STATUS= with the counts of each state, RELOADING=1
// and READY=1 around a SIGHUP reload, STOPPING=1 and EXTEND_TIMEOUT_USEC= while the services
// stop, and WATCHDOG=1 at half of WATCHDOG_USEC (sd_watchdog_enabled(3)). Loaded only when
// $NOTIFY_SOCKET is set.
import type { StateName } from '../core/instance.js';
import { errnoOf } from '../effects/ffi/errno.js';
import { sendDatagram } from '../effects/ffi/unix-dgram.js';
import type { Runner } from '../runtime/runner/runner.js';
import type { EventBus } from './events.js';

/** What the notifier reads of the supervisor: its instances, and which wait for dependencies. */
export interface Fleet {
  resolve(targets: readonly string[]): Runner[];
  isWaiting(runner: Runner): boolean;
  readonly config: { services: readonly { stopTimeoutMs: number }[] } | null;
}

/** How long a stopped instance may take after SIGKILL before it counts as stopped (ms). */
const KILL_GRACE_MS = 5000;
/** Added to the longest stop for the EXTEND_TIMEOUT_USEC window (ms). */
const STOP_MARGIN_MS = 5000;
/** EXTEND_TIMEOUT_USEC is renewed at most this often while instances stop (ms). */
const EXTEND_EVERY_MS = 1000;
/** The order of the counts in STATUS=. */
const ORDER: readonly StateName[] = [
  'running',
  'starting',
  'backoff',
  'stopping',
  'stopped',
  'failed',
  'exited',
];

/** The messages `warden run` owes its service manager. */
export interface ServiceManager {
  /** Sends READY=1 (with STATUS=) once every instance has settled; STATUS= on each change after. */
  started(): void;
  /** A reload begins: RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC, µs). */
  reloading(): void;
  /** The reload is applied: READY=1 once every instance has settled again. */
  reloaded(): void;
  /** The stop begins: STOPPING=1, then EXTEND_TIMEOUT_USEC= renewed while instances stop. */
  stopping(): void;
  /** Stops the watchdog pings and the watch on state changes. */
  close(): void;
}

/**
 * The service manager named by `env.NOTIFY_SOCKET` (an absolute path or `@abstract`), or
 * undefined when none is. Removes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` (as
 * sd_notify's `unset_environment`): they are warden's, and nothing it starts sees them. Starts
 * the WATCHDOG=1 pings when WATCHDOG_USEC asks for them and WATCHDOG_PID, if set, is this pid.
 * Never throws: a message that cannot be sent is logged (once per errno).
 */
export function openServiceManager(
  fleet: Fleet,
  events: EventBus,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): ServiceManager | undefined {
  const socket = env.NOTIFY_SOCKET;
  const watchdogUsec = Number(env.WATCHDOG_USEC);
  const watchdogPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (socket === undefined || socket === '') return undefined;
  if (!socket.startsWith('/') && !socket.startsWith('@')) {
    log(`NOTIFY_SOCKET=${socket}: not a path or @abstract name; the service manager is not told`);
    return undefined;
  }
  const failed = new Set<string>();
  const send = (text: string): void => {
    try {
      sendDatagram(socket, Buffer.from(text));
    } catch (error) {
      const code = errnoOf(error) ?? String(error);
      if (!failed.has(code)) log(`sd_notify to ${socket} failed (${code}): ${text.split('\n')[0]}`);
      failed.add(code);
    }
  };

  let watchdog: NodeJS.Timeout | undefined;
  if (Number.isInteger(watchdogUsec) && watchdogUsec > 0) {
    if (watchdogPid === undefined || Number(watchdogPid) === process.pid) {
      const everyMs = Math.max(1, Math.floor(watchdogUsec / 2000));
      watchdog = setInterval(() => send('WATCHDOG=1'), everyMs).unref();
      log(`watchdog: WATCHDOG=1 to the service manager every ${everyMs}ms`);
    }
  }

  // What is owed: READY=1 once settled (start-up, after a reload), or EXTEND_TIMEOUT_USEC=.
  let phase: 'settling' | 'ready' | 'reloading' | 'stopping' = 'settling';
  let lastStatus = '';
  let lastExtend = 0;
  let pending = false;
  const update = (): void => {
    pending = false;
    const runners = fleet.resolve([]);
    const status = `STATUS=${countStates(runners)}`;
    if (phase === 'settling' && runners.every((r) => isSettled(r, fleet))) {
      phase = 'ready';
      lastStatus = status;
      return send(`READY=1\n${status}`);
    }
    if (status !== lastStatus) send(status);
    lastStatus = status;
    if (phase === 'stopping' && Date.now() - lastExtend >= EXTEND_EVERY_MS) {
      lastExtend = Date.now();
      send(`EXTEND_TIMEOUT_USEC=${stopWindowMs(fleet) * 1000}`);
    }
  };
  // Changes come in bursts (a whole fleet starting): one look per turn of the event loop.
  const schedule = (): void => {
    if (pending) return;
    pending = true;
    setImmediate(update);
  };
  let unsubscribe: (() => void) | undefined;
  const watch = (): void => {
    unsubscribe ??= events.subscribe(schedule);
    schedule();
  };

  return {
    started: watch,
    reloading: () => {
      phase = 'reloading';
      const usec = process.hrtime.bigint() / 1000n; // libuv's hrtime is CLOCK_MONOTONIC
      send(`RELOADING=1\nMONOTONIC_USEC=${usec}`);
    },
    reloaded: () => {
      if (phase === 'reloading') phase = 'settling';
      watch();
    },
    stopping: () => {
      phase = 'stopping';
      lastExtend = Date.now();
      send(`STOPPING=1\nEXTEND_TIMEOUT_USEC=${stopWindowMs(fleet) * 1000}`);
      watch();
    },
    close: () => {
      clearInterval(watchdog);
      unsubscribe?.();
    },
  };
}

// Settled: running, or unable to get there by itself (as `warden wait` judges).
function isSettled(runner: Runner, fleet: Fleet): boolean {
  const s = runner.model.current.state;
  const isFinal = s === 'running' || s === 'failed' || s === 'exited' || s === 'stopped';
  return isFinal && !fleet.isWaiting(runner);
}

/** `7 running, 1 failed`: the count of each state present, in a fixed order. */
export function countStates(runners: readonly Runner[]): string {
  const counts = new Map<StateName, number>();
  for (const r of runners) {
    const s = r.model.current.state;
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const parts = ORDER.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  return parts.length === 0 ? 'no services' : parts.join(', ');
}

// The longest stop an instance can take: its stop_timeout, then SIGKILL and its grace.
function stopWindowMs(fleet: Fleet): number {
  const longest = Math.max(0, ...(fleet.config?.services ?? []).map((s) => s.stopTimeoutMs));
  return longest + KILL_GRACE_MS + STOP_MARGIN_MS;
}
