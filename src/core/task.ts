// How an instance ended, in the terms of tasks and of containers that end: succeeded or
// completed (depends_on conditions), the words for its end, and the exit code a shell would
// report for it (`warden run` with `on_exit: shutdown`).
import {
  isSignalExit,
  isSpawnFailure,
  isUnknownExit,
  type ExitStatus,
  type LastExit,
} from './exit.js';
import type { InstanceModel, StateName } from './instance.js';
import { SIGNALS, isSignalName } from './signals.js';
import type { ServiceKind } from './spec.js';

/** True for exit code 0, a task's only success (not a signal, not an unknown status). */
export function isSuccess(status: ExitStatus): boolean {
  return 'code' in status && status.code === 0;
}

/** What of an instance tells how it ended. */
export type Outcome = Pick<InstanceModel, 'lastExit'> & { state: StateName };

/** Ended for good, whatever its status (`depends_on: {x: completed}`): `exited` or `failed`. */
export function hasCompleted(o: Outcome): boolean {
  return o.state === 'exited' || o.state === 'failed';
}

/** Ended for good with exit 0 (`depends_on: {x: succeeded}`). */
export function hasSucceeded(o: Outcome): boolean {
  return (
    o.state === 'exited' && o.lastExit !== null && 'code' in o.lastExit && o.lastExit.code === 0
  );
}

/**
 * The end of instance `name` in words, for the reason of what it holds: `migrate exited 1`,
 * `migrate killed by SIGKILL`, `migrate failed (spawn failed: ENOENT (/bin/nope))`.
 */
export function describeEnd(name: string, exit: LastExit | null): string {
  if (exit === null) return `${name} ended`;
  if (isSpawnFailure(exit))
    return `${name} failed (spawn failed: ${exit.spawnError} (${exit.path}))`;
  if (isSignalExit(exit)) return `${name} killed by ${exit.signal}`;
  if (isUnknownExit(exit)) return `${name} ended (exit status unknown)`;
  return `${name} exited ${exit.code}`;
}

/**
 * The exit status a shell reports for `exit` (`$?`): the code; 128+N for signal N; 127 for a
 * program not found, 126 for one that could not be run; 1 when unknown or null.
 */
export function shellExitCode(exit: LastExit | null): number {
  if (exit === null || isUnknownExit(exit)) return 1;
  if (isSpawnFailure(exit)) return exit.spawnError === 'ENOENT' ? 127 : 126;
  if (isSignalExit(exit)) return isSignalName(exit.signal) ? 128 + SIGNALS[exit.signal] : 1;
  return exit.code;
}

/**
 * True when an instance is as it is meant to be (what `wait`, `up --wait` and a readiness
 * endpoint ask): `running`, or a task that succeeded (`exited`). A failed task is not.
 */
export function isFine(kind: ServiceKind, state: StateName): boolean {
  return state === 'running' || (kind === 'task' && state === 'exited');
}
