// Whether a new instance of a rolling restart kept the run it began: from its spawn to the end
// of the rolling restart it must reach `running` by itself and stay there, with no exit and no
// automatic restart in between.
import { formatExit } from '../core/exit.js';
import type { InstanceModel } from '../core/instance.js';
import type { Runner } from './runner/runner.js';

/** Watches one instance from now on: whether its run ended by itself. */
export class RunWatch {
  #isBroken = false;
  #wasRunning = false;
  readonly #done = new AbortController();

  /** Starts watching `runner`, which was just asked to start or restart. */
  constructor(readonly runner: Runner) {
    // Runner.until checks the test now and after every transition; a broken run ends the wait.
    void runner.until((m) => {
      this.#wasRunning ||= m.current.state === 'running' && !this.#isBroken;
      this.#isBroken ||= hasEnded(m);
      return this.#isBroken;
    }, this.#done.signal);
  }

  /** True once the watched run reached `running`. */
  get wasRunning(): boolean {
    return this.#wasRunning;
  }

  /** True once the run ended by itself: an exit, a forced stop, an automatic restart. */
  get isBroken(): boolean {
    return this.#isBroken;
  }

  /** Stops watching (the rolling restart is over). */
  close(): void {
    this.#done.abort();
  }
}

// True when `m` shows the run's end by itself: a stop or restart asked for is no end.
function hasEnded(m: InstanceModel): boolean {
  const s = m.current;
  if (s.state === 'stopping') return s.intent.kind === 'exit';
  return s.state === 'backoff' || s.state === 'failed' || s.state === 'exited' || m.restarts > 0;
}

/** The last exit of `runner`'s instance (`exit 1`, `SIGTERM`), or `no exit status`. */
export function lastExitOf(runner: Runner): string {
  const m = runner.model;
  return m.lastExit === null ? 'no exit status' : formatExit(m.lastExit);
}

/** The last stderr line of `runner`'s instance that says something, or null. */
export function lastStderrLine(runner: Runner): string | null {
  return (
    runner
      .stderrLines()
      .filter((l) => l.trim() !== '')
      .at(-1) ?? null
  );
}

/** The last error of `runner`'s instance: its last exit and last stderr line, as known now. */
export function lastError(runner: Runner): string {
  const exit = lastExitOf(runner);
  const stderr = lastStderrLine(runner);
  return stderr === null ? exit : `${exit}, stderr: ${stderr}`;
}
