// `subscribe` with `figuresMs` (docs/protocol.md "Figures"): the daemon pushes every subscribed
// instance's state and tree figures on the connection at that interval, for `warden top`. One
// timer per such subscription, gone with its connection: nothing runs while nobody asks.
import type { Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import { encodeLine } from '../ipc/ndjson.js';
import { figuresOf, type FiguresFrame, type InstanceFigures } from '../ipc/protocol.js';
import type { Runner } from '../runtime/runner/runner.js';
import type { Supervisor } from '../runtime/supervisor/supervisor.js';
import { MAX_BACKLOG, streamEvents, type EventBus } from './events.js';

/** What a figures stream writes to: the subscriber's socket. */
export type FiguresSink = Pick<Socket, 'destroyed' | 'writableLength' | 'write' | 'once'>;

/**
 * Writes a `{"figures": FiguresFrame}` line of `read()` to `sink` every `intervalMs` (ms) on
 * `clock`, the first one interval after the call, until the sink closes. A reader more than
 * MAX_BACKLOG bytes behind misses frames (each is a whole snapshot: the next one says all).
 */
export function streamFigures(
  sink: FiguresSink,
  intervalMs: number,
  clock: Clock,
  read: () => InstanceFigures[],
): void {
  let timer: unknown;
  const tick = (): void => {
    if (sink.destroyed) return;
    timer = clock.after(intervalMs, tick);
    if (sink.writableLength > MAX_BACKLOG) return;
    const frame: FiguresFrame = { time: clock.now(), instances: read() };
    sink.write(encodeLine({ figures: frame }));
  };
  timer = clock.after(intervalMs, tick);
  sink.once('close', () => clock.cancel(timer));
}

/**
 * A subscription with figures on `peer`: the state events and the figures of every instance
 * that `targets` names at each moment (a service named, or all, includes instances a reload
 * adds later). @returns the instances named now
 */
export function subscribeWithFigures(
  sup: Supervisor,
  events: EventBus,
  peer: Socket,
  targets: readonly string[],
  options: { figuresMs: number; clock: Clock },
): string[] {
  const now = sup.resolve(targets).map((r) => r.name);
  const isNamed = namedBy(targets, new Set(now));
  streamEvents(events, peer, (e) => isNamed(e.instance, e.service));
  const runners = (): Runner[] => sup.resolve([]).filter((r) => isNamed(r.name, r.spec.name));
  streamFigures(peer, options.figuresMs, options.clock, () =>
    runners().map((r) => figuresOf(r.status())),
  );
  return now;
}

// Whether an instance is named by `targets`: all, its service, or itself (among `instances`).
function namedBy(
  targets: readonly string[],
  instances: ReadonlySet<string>,
): (instance: string, service: string) => boolean {
  if (targets.length === 0 || targets.includes('all')) return () => true;
  const services = new Set(targets);
  return (instance, service) => instances.has(instance) || services.has(service);
}
