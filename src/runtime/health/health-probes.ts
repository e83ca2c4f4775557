// The health probes of one running instance (config `health`; docs/config/health.md): one probe
// `interval` after `running`, then one `interval` after each settled, never two at a time. Each
// probe is cut at `timeout` (an exec probe's process group gets SIGKILL) and told to the core as
// a `health` event; the core counts the failures. All I/O is asynchronous: a tcp or http probe
// does not look up which process holds the port (that reads /proc), so many instances' probes
// never hold up the daemon's event loop.
import type { Clock } from '../../core/clock.js';
import type { HealthCheck, HealthSpec } from '../../core/spec.js';
import type { Attempt } from '../../effects/probes/attempt.js';
import { syscallFailureOf } from '../../effects/probes/attempt.js';
import { execAttempt, type ExecContext } from '../../effects/probes/exec.js';
import { httpAttempt } from '../../effects/probes/http.js';
import { tcpAttempt } from '../../effects/probes/tcp.js';

/** Any listener counts: the instance proved its own at readiness; a health probe asks if it answers. */
const ANY_LISTENER = (): true => true;

/** One probe attempt of `check`; an exec probe runs in `context` (the service's cwd and env). */
export function healthAttempt(check: HealthCheck, context: ExecContext): Attempt {
  switch (check.kind) {
    case 'tcp':
      return tcpAttempt(check.host, check.port, ANY_LISTENER, syscallFailureOf);
    case 'http':
      return httpAttempt(check.url, ANY_LISTENER, syscallFailureOf);
    case 'exec':
      return execAttempt(check.command, context);
  }
}

/** The probe loop of one instance; `report` gets each result (null: passed, else why not). */
export class HealthProbes {
  readonly spec: HealthSpec;
  readonly #attempt: Attempt;
  readonly #clock: Clock;
  readonly #report: (error: string | null) => void;
  /** Bumped by start and stop, so a probe of an earlier run reports nothing. */
  #run = 0;
  #timer: unknown;
  #abort: AbortController | undefined;

  constructor(
    spec: HealthSpec,
    context: ExecContext,
    clock: Clock,
    report: (error: string | null) => void,
  ) {
    this.spec = spec;
    this.#attempt = healthAttempt(spec.check, context);
    this.#clock = clock;
    this.#report = report;
  }

  /** Probes from now on (the instance is running): the first one `interval` from now. */
  start(): void {
    this.stop();
    this.#next(this.#run);
  }

  /** No more probes; one under way is aborted (an exec probe's group killed) and reports nothing. */
  stop(): void {
    this.#run++;
    if (this.#timer !== undefined) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
  }

  #next(run: number): void {
    this.#timer = this.#clock.after(this.spec.intervalMs, () => void this.#probe(run));
  }

  async #probe(run: number): Promise<void> {
    this.#timer = undefined;
    const abort = new AbortController();
    this.#abort = abort;
    const result = await this.#attempt(this.spec.timeoutMs, abort.signal);
    if (run !== this.#run) return;
    this.#abort = undefined;
    this.#report(result === true ? null : result);
    // The report may have ended the run (the threshold: the instance is stopping).
    if (run === this.#run) this.#next(run);
  }
}
