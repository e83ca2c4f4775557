// sd_notify readiness and watchdog pings for one instance, through the daemon's NotifyHub.
import type { NotifyHub, NotifyMessage } from './notify-hub.js';
import type { ReadinessHooks, ReadinessProbe } from './types.js';
import { errnoName } from '../../effects/ffi/errno.js';

/** What a notify source needs. */
export interface NotifySourceOptions {
  instance: string;
  hub: NotifyHub;
  /** The uid the instance runs as (config `user`); null: the daemon's. Picks its socket. */
  uid: number | null;
  /** The instance's InstanceTree.contains: whose messages are this instance's. */
  isMember: (pid: number) => boolean;
  /** `READY=1` makes the instance ready (config `ready: {notify: true}`). */
  isReadiness: boolean;
  /** `watchdog` in ms: `WATCHDOG=1` pings the core's watchdog timer; null: off. */
  watchdogMs: number | null;
  hooks: ReadinessHooks;
}

/**
 * Gives the instance `NOTIFY_SOCKET` (and `WATCHDOG_USEC`, systemd.exec(5)) and turns its
 * sd_notify(3) messages into hooks while it is starting or running: `READY=1` (once per run,
 * when `isReadiness`), `STATUS=`, `WATCHDOG=1` (when a watchdog is set). `STOPPING=1`,
 * `RELOADING=1`, `ERRNO=`, `MAINPID=`, `EXTEND_TIMEOUT_USEC=` and `WATCHDOG=trigger` are logged
 * and otherwise ignored; other keys are ignored. Between `stop()` and the next `started()`
 * messages are dropped; the hub registration lasts until `close()`.
 */
export function notifySource(o: NotifySourceOptions): ReadinessProbe {
  let unregister: (() => void) | undefined;
  let isActive = false;
  let isReady = false;

  const onMessage = (msg: NotifyMessage): void => {
    if (!isActive) return;
    const from = `notify from pid ${msg.sender.pid}`;
    for (const field of msg.fields) {
      switch (field.key) {
        case 'READY':
          if (o.isReadiness && !isReady) {
            isReady = true;
            o.hooks.ready('notify');
          }
          break;
        case 'STATUS':
          o.hooks.status(field.text);
          break;
        case 'WATCHDOG':
          if (o.watchdogMs !== null) o.hooks.watchdog();
          break;
        case 'WATCHDOG_TRIGGER':
          o.hooks.log(`${from}: WATCHDOG=trigger is not supported; ignored`);
          break;
        case 'STOPPING':
        case 'RELOADING':
          o.hooks.log(`${from}: ${field.key}=1`);
          break;
        case 'ERRNO':
          o.hooks.log(
            `${from}: ERRNO=${field.errno} (${errnoName(field.errno) ?? `errno ${field.errno}`})`,
          );
          break;
        case 'MAINPID':
          o.hooks.log(`${from}: MAINPID=${field.pid} ignored: warden follows the whole tree`);
          break;
        case 'EXTEND_TIMEOUT':
          o.hooks.log(`${from}: EXTEND_TIMEOUT_USEC=${field.usec} is not supported; ignored`);
          break;
        case 'BARRIER':
        case 'OTHER':
          break;
      }
    }
  };

  // Bound now, not at the first spawn: an instance adopted after a daemon restart has this path
  // in its environment already and must find it there.
  const socket = o.hub.socketFor(o.uid);
  const env: Record<string, string> = {};
  if (socket.ok) env.NOTIFY_SOCKET = socket.path;
  if (o.watchdogMs !== null) env.WATCHDOG_USEC = String(o.watchdogMs * 1000);
  const failure = socket.ok
    ? undefined
    : {
        spawnError: socket.error.code,
        path: 'NOTIFY_SOCKET',
        message: socket.error.message,
        detail: socket.error.message,
      };
  return {
    extras: () => ({ env: { ...env }, pipes: [], ...(failure === undefined ? {} : { failure }) }),
    started() {
      unregister ??= o.hub.register(o.instance, o.isMember, onMessage);
      isActive = true;
      isReady = false;
    },
    line: () => undefined,
    stop() {
      isActive = false;
    },
    close() {
      isActive = false;
      unregister?.();
      unregister = undefined;
    },
    drain: () => o.hub.drain(),
  };
}
