// A rolling restart: the instances of one service restart one at a time while an extra
// instance serves, so that (with a readiness check) at least `instances` of them run throughout.
import type { StateName } from '../core/instance.js';
import type { Runner } from './runner/runner.js';
import { lastError, lastExitOf, lastStderrLine, RunWatch } from './rolling-watch.js';

/**
 * A rolling restart that could not go on (or begin); `instance` is the one in the way, `exit`
 * its last exit (`exit 1`) when it did not reach or keep `running`, else null.
 */
export class RollingRestartError extends Error {
  readonly code = 'ROLLING_RESTART_FAILED';
  constructor(
    readonly instance: string,
    message: string,
    readonly exit: string | null = null,
    /** The failed instance's last stderr line that says something (`Address already in use`). */
    readonly stderr: string | null = null,
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
  /** Who asked, when it is not the user (`files changed`): the restart events' reason. */
  reason?: string;
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
 * one stops at the end. Every new instance (the extra one included) must reach `running` by
 * itself and stay there until the end: an exit or an automatic restart of any of them stops
 * the rolling restart. When an instance does not come up, or its run ended, the extra one keeps
 * serving until it runs (or gives up), and the instances after it are not touched.
 * @returns the instances restarted, in order
 * @throws RollingRestartError naming the instance that did not reach `running` or did not stay
 * there (with its last exit and stderr line), or the extra instance of a rolling restart still
 * under way
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
  const serves = new RunWatch(extra);
  const watches = [serves];
  const touched: Runner[] = [];
  const fail = (w: RunWatch, rest: string): RollingRestartError =>
    new RollingRestartError(
      w.runner.name,
      `rolling restart stopped: ${verdict(w)}${rest === '' ? '' : `; ${rest}`}`,
      lastExitOf(w.runner),
      lastStderrLine(w.runner),
    );
  try {
    let failure = await step(serves, watches);
    if (failure !== undefined) {
      const error = fail(failure, 'nothing was restarted');
      await retire();
      throw error;
    }
    for (const r of [...svc.runners]) {
      r.dispatch(
        hooks.reason === undefined
          ? { type: 'restart' }
          : { type: 'restart', reason: hooks.reason },
      );
      touched.push(r);
      const watch = new RunWatch(r);
      watches.push(watch);
      failure = await step(watch, watches);
      if (failure === undefined) continue;
      const rest = progress(svc, touched, failure.runner);
      if (failure.runner === extra) {
        const error = fail(failure, rest);
        await retire();
        throw error;
      }
      // The extra instance keeps serving in its place until it runs again (or gives up).
      void failure.runner.until((m) => isAtRest(m.current.state)).then(retire);
      throw fail(failure, [rest, `${extra.name} serves until it runs`].filter(Boolean).join('; '));
    }
    await retire();
    // Until the extra instance is gone, the restarted ones had to stay running too.
    failure = watches.find((w) => w.isBroken);
    if (failure !== undefined) throw fail(failure, progress(svc, touched, failure.runner));
  } finally {
    for (const w of watches) w.close();
  }
  return touched.map((r) => r.name);
}

// Waits until the instance of `watch` settles; the first watched instance whose run failed
// (that one not running, or any run that ended by itself), or undefined when all hold.
async function step(watch: RunWatch, all: readonly RunWatch[]): Promise<RunWatch | undefined> {
  const r = watch.runner;
  await r.until((m) => m.current.state !== 'starting' && m.current.state !== 'stopping');
  if (r.model.current.state !== 'running') return watch;
  return all.find((w) => w.isBroken);
}

// `web:1 did not stay running (exit 1, stderr: ...; now backoff)`.
function verdict(w: RunWatch): string {
  const r = w.runner;
  const what = w.wasRunning ? 'did not stay running' : 'did not reach running';
  return `${r.name} ${what} (${lastError(r)}; now ${r.model.current.state})`;
}

// Which instances were restarted (and hold), and which were not touched; '' for none.
function progress(svc: RollingService, touched: readonly Runner[], failed: Runner): string {
  const names = (rs: readonly Runner[]): string => rs.map((r) => r.name).join(', ');
  const done = touched.filter((r) => r !== failed);
  const rest = svc.runners.filter((r) => !touched.includes(r));
  return [
    done.length === 0 ? '' : `restarted: ${names(done)}`,
    rest.length === 0 ? '' : `not touched: ${names(rest)}`,
  ]
    .filter(Boolean)
    .join('; ');
}

// Where an instance stays until a user asks otherwise: running, or given up.
function isAtRest(state: StateName): boolean {
  return state === 'running' || state === 'failed' || state === 'exited' || state === 'stopped';
}
