// Feedback while a command waits (`up --wait`, `stop`, `restart`, `down`), for people at a
// terminal: a line for each instance as it reaches its state, with the time since the command
// began and, when it fails, why (`worker:2 stopped 6.0s (SIGKILL after stop_timeout)`). The
// lines come from a `subscribe` stream on a connection of their own, opened before the command
// is sent. Loaded only on a terminal: piped output is the summary alone.
import type { StateName } from '../../core/instance.js';
import type { StateEvent, StreamEvent } from '../../ipc/protocol.js';
import { connect, type GlobalOptions } from '../context.js';
import { paint, print, type Colour } from '../output.js';

/** What the command waits for: every target `stopped`, started again, or `running`. */
export type Goal = 'stopped' | 'started' | 'running';

// The states worth a line, per goal: the one waited for, and those of a failure.
const SHOWN: Record<Goal, ReadonlySet<StateName>> = {
  stopped: new Set(['stopped', 'exited', 'failed']),
  started: new Set(['starting', 'running', 'backoff', 'failed', 'exited']),
  running: new Set(['running', 'backoff', 'failed', 'exited']),
};

const COLOUR: Partial<Record<StateName, Colour>> = {
  running: 'green',
  starting: 'yellow',
  backoff: 'red',
  failed: 'red',
  exited: 'yellow',
};

/** A subscription that prints the targets' transitions. */
export interface Progress {
  /** When the command began (ms since the epoch): the lines' times count from it. */
  since: number;
  /** Prints the lines of instances already in a shown state entered since `since` (`up`). */
  catchUp(targets: string[]): Promise<void>;
  /** Prints what the daemon sent before now (one round trip), then closes the subscription. */
  finish(): Promise<void>;
}

/**
 * Subscribes to the state changes of `targets` (all when empty) and prints each one that
 * reaches a state of `goal`'s, until `finish`. Call it before sending the command.
 * @throws as `connect` and `subscribe` do (NoDaemonError, RemoteError UNKNOWN_SERVICE)
 */
export async function watchProgress(
  options: GlobalOptions,
  targets: string[],
  goal: Goal,
  since = Date.now(),
): Promise<Progress> {
  const shown = SHOWN[goal];
  const killed = new Set<string>();
  const printed = new Set<string>();
  const onEvent = (event: StreamEvent): void => {
    if (!('instance' in event)) return; // {dropped: N}: lines lost; the summary still says the end
    if (event.from === 'stopping' && event.to === 'stopping' && /SIGKILL/.test(event.reason))
      killed.add(event.instance);
    if (event.from === event.to || !shown.has(event.to)) return;
    printed.add(event.instance);
    print(line(event.instance, event.to, event.time - since, why(event, killed)));
  };
  const client = await connect(options, { onEvent });
  let closed = false;
  client.onClose(() => (closed = true));
  try {
    await client.call('subscribe', { targets });
  } catch (error) {
    client.close(); // or the open connection keeps the CLI from exiting
    throw error;
  }
  return {
    since,
    async catchUp(names) {
      const report = await client.call('status', { targets: names });
      for (const s of report.instances)
        if (shown.has(s.state) && s.since >= since && !printed.has(s.name))
          print(line(s.name, s.state, s.since - since, s.reason ?? undefined));
    },
    async finish() {
      // The daemon wrote the events before its answer to the command: a later answer on this
      // connection comes after them. After `down` it may close first, which ends the stream too.
      if (!closed) await client.call('hello', {}).catch(() => undefined);
      client.close();
    },
  };
}

// The states of a failure, whose reason is always shown.
const FAILURES: ReadonlySet<StateName> = new Set(['backoff', 'failed', 'exited']);

// Why the instance got there, when that says more than the state: an exit and what the restart
// policy made of it, a readiness source, a stop that took SIGKILL.
function why(event: StateEvent, killed: Set<string>): string | undefined {
  const forced = event.from === 'stopping' && killed.delete(event.instance);
  if (FAILURES.has(event.to) || event.from !== 'stopping') return event.reason || undefined;
  // The end of a stop (`stopped`, or `starting` again in a restart): only how it ended says more.
  return forced ? 'SIGKILL after stop_timeout' : undefined;
}

// `web:1 running 0.4s (ready (tcp))`
function line(name: string, state: StateName, elapsedMs: number, reason?: string): string {
  const colour = COLOUR[state];
  const shownState = colour === undefined ? state : paint(colour, state);
  const seconds = (Math.max(0, elapsedMs) / 1000).toFixed(1);
  return `${name} ${shownState} ${seconds}s${reason === undefined ? '' : ` (${reason})`}`;
}
