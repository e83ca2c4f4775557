// Containers that end: the instance whose end ends the whole run. An `on_exit: shutdown`
// service that ended (s6-overlay's main program, process-compose's `exit_on_end`) ends it with
// its own exit status as a shell reports it; with `warden run --exit-on-failure`, the first
// instance to reach `failed` ends it with 1.
import type { InstanceState } from '../core/instance.js';
import { describeFailure } from '../core/status.js';
import { describeEnd, shellExitCode } from '../core/task.js';
import type { Runner } from '../runtime/runner/runner.js';

/** Why the run ends, and the daemon's exit code. */
export interface RunEnd {
  /** `main exited 3 (on_exit: shutdown)`, `crash failed (start limit: ...)`. */
  why: string;
  /** The ended service's status as `$?` (128+N for signal N), or 1 for a failure. */
  code: number;
}

/**
 * Whether `runner`'s change from `from` ends the run: its `on_exit: shutdown` instance moved to
 * `exited` or `failed`, or (with `exitOnFailure`) any instance moved to `failed`. Else null.
 */
export function runEndOf(
  runner: Runner,
  from: InstanceState,
  exitOnFailure: boolean,
): RunEnd | null {
  const s = runner.model.current;
  if (from.state === s.state) return null;
  const lastExit = runner.model.lastExit;
  if (runner.spec.onExit === 'shutdown' && (s.state === 'exited' || s.state === 'failed'))
    return {
      why: `${describeEnd(runner.name, lastExit)} (on_exit: shutdown)`,
      code: shellExitCode(lastExit),
    };
  if (exitOnFailure && s.state === 'failed')
    return { why: `${runner.name} failed (${describeFailure(s.reason)})`, code: 1 };
  return null;
}
