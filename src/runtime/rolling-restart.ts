// A rolling restart: the instances of one service restart one at a time while an extra
// instance serves, so that (with a readiness check) at least `instances` of them run throughout.
import type { StateName } from '../core/instance.js';
import type { Runner } from './runner/runner.js';

/** A rolling restart that could not go on (or begin); `instance` is the one in the way. */
export class RollingRestartError extends Error {
  readonly code = 'ROLLING_RESTART_FAILED';
  constructor(
    readonly instance: string,
    message: string,
  ) {
    super(message);
  }
}

/** The service being restarted: its name and instances. */
export interface RollingService {
  readonly spec: { readonly name: string };
  readonly runners: readonly Runner[];
}

/** What the supervisor lends a rolling restart: the service's extra instance, kept by it. */
export interface RollingHooks {
  /** The service's extra instance while there is one. */
  extra(): Runner | undefined;
  /** Makes the extra instance (index `instances`, stopped) and lists it with the service. */
  addExtra(): Runner;
  /** Stops the extra instance `runner`, frees it, and unlists it if it still is the one. */
  dropExtra(runner: Runner): Promise<void>;
}

/**
 * Restarts the instances of `svc` one by one: the extra instance starts first and must reach
 * `running`, then each instance restarts and must reach `running` before the next; the extra
 * one stops at the end. When an instance does not come up, the extra one keeps serving until it
 * runs (or gives up), and the instances after it are not touched.
 * @returns the instances restarted, in order
 * @throws RollingRestartError naming the instance that did not reach `running`, or the extra
 * instance of a rolling restart still under way
 */
export async function restartRolling(svc: RollingService, hooks: RollingHooks): Promise<string[]> {
  const serving = hooks.extra();
  if (serving !== undefined) {
    const busy = `its extra instance ${serving.name} still serves (a rolling restart is under way, or one failed and waits for its instance to run)`;
    throw new RollingRestartError(
      serving.name,
      `cannot restart ${svc.spec.name} one by one: ${busy}`,
    );
  }
  const extra = hooks.addExtra();
  const retire = (): Promise<void> => hooks.dropExtra(extra);
  extra.dispatch({ type: 'start', reason: 'rolling restart: extra instance' });
  if (!(await reachesRunning(extra))) {
    await retire();
    throw new RollingRestartError(extra.name, notRunning(extra, 'nothing was restarted'));
  }
  const done: string[] = [];
  for (const r of [...svc.runners]) {
    r.dispatch({ type: 'restart' });
    if (await reachesRunning(r)) {
      done.push(r.name);
      continue;
    }
    // The extra instance keeps serving in its place until it runs again (or gives up).
    void r.until((m) => isAtRest(m.current.state)).then(retire);
    const rest = `the ones after it were not touched; ${extra.name} serves until it runs`;
    throw new RollingRestartError(r.name, notRunning(r, rest));
  }
  await retire();
  return done;
}

// Resolves true once `r` runs, false once it settled anywhere else (backoff included).
async function reachesRunning(r: Runner): Promise<boolean> {
  await r.until((m) => m.current.state !== 'starting' && m.current.state !== 'stopping');
  return r.model.current.state === 'running';
}

function notRunning(r: Runner, rest: string): string {
  return `rolling restart stopped: ${r.name} is ${r.model.current.state}, not running; ${rest}`;
}

// Where an instance stays until a user asks otherwise: running, or given up.
function isAtRest(state: StateName): boolean {
  return state === 'running' || state === 'failed' || state === 'exited' || state === 'stopped';
}
