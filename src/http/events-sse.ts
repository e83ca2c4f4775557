// GET /api/v1/events (docs/dashboard.md "Event streams"): every state change as it happens
// (`event: state`, the control protocol's StateEvent), and every second the figures of every
// instance (`event: figures`). The figures are read once a second for all clients together, and
// only while some client listens: an idle server reads nothing.
import type { InstanceStatus } from '../core/status.js';
import type { RouteHandler } from './router.js';
import { openSse, type SseChannel } from './sse.js';
import type { WardenSource } from './source.js';

/** How often the figures go out (ms). */
const FIGURES_EVERY_MS = 1000;

/** One instance in an `event: figures`. Times are ms since the epoch. */
export interface InstanceFigures {
  instance: string;
  service: string;
  state: InstanceStatus['state'];
  pid: number | null;
  restarts: number;
  /** When it entered its current state. */
  since: number;
  /** When its current main process was spawned, else null. */
  startedAt: number | null;
  /** In `backoff`, when it starts again. */
  nextRestartAt: number | null;
  /** Why it is `stopped` or `failed`, in words. */
  reason: string | null;
  lastExit: InstanceStatus['lastExit'];
  /** The telling lines of the last run's stderr while it is not starting or running (`stderrSummary`). */
  stderr: string[];
  /** CPU (% of one core), memory (bytes), processes of its tree while it has one; else null. */
  tree: InstanceStatus['tree'];
}

/** The data of an `event: figures`. */
export interface FiguresEvent {
  /** When they were read (ms since the epoch): uptimes are `time - startedAt`. */
  time: number;
  instances: InstanceFigures[];
}

/** The route of GET /api/v1/events, and what stops its timer when the server closes. */
export interface EventsRoute {
  handler: RouteHandler;
  close(): void;
}

/** Serves `source`'s state changes and figures to every client of GET /api/v1/events. */
export function eventsRoute(source: WardenSource): EventsRoute {
  const clients = new Set<SseChannel>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
    unsubscribe?.();
    unsubscribe = undefined;
  };
  const start = (): void => {
    unsubscribe = source.subscribe((event) => {
      for (const c of clients) c.send('state', event, 'events');
    });
    timer = setInterval(() => {
      const figures = figuresOf(source);
      for (const c of clients) c.send('figures', figures, null);
    }, FIGURES_EVERY_MS);
  };
  return {
    handler: (_req, res) => {
      const channel = openSse(res);
      if (clients.size === 0) start();
      clients.add(channel);
      channel.send('figures', figuresOf(source), null);
      channel.onClose(() => {
        clients.delete(channel);
        if (clients.size === 0) stop();
      });
    },
    close: () => {
      for (const c of clients) c.end();
      stop();
    },
  };
}

function figuresOf(source: WardenSource): FiguresEvent {
  return {
    time: Date.now(),
    instances: source.instances().map((i) => {
      const s = i.status();
      return {
        instance: s.name,
        service: s.service,
        state: s.state,
        pid: s.pid,
        restarts: s.restarts,
        since: s.since,
        startedAt: s.startedAt,
        nextRestartAt: s.nextRestartAt,
        reason: s.reason,
        lastExit: s.lastExit,
        stderr: s.stderrSummary,
        tree: s.tree,
      };
    }),
  };
}
