// `start`, `stop`, `restart`, `signal`, `wait` and `reload`: one request each to the daemon.
import { parseDuration } from '../../config/duration.js';
import type { ControlClient } from '../../ipc/client.js';
import { CliError, withClient, type GlobalOptions } from '../context.js';
import { EXIT, instanceList, print, printError } from '../output.js';
import { printPlan } from './apply-notes.js';
import type { Goal } from './progress.js';
import { describeExit } from './status.js';

/** Parses `--timeout` (`30s`, `500ms`, a number of ms). @throws CliError (exit 2) */
export function parseTimeout(text: string | undefined, fallbackMs = 60_000): number {
  if (text === undefined) return fallbackMs;
  const r = parseDuration(text);
  if (!r.ok) throw new CliError(`--timeout: ${r.message}`, EXIT.usage);
  return r.ms;
}

/** `--quiet`: print nothing but errors (no progress, no summary). */
export interface Quiet {
  quiet?: boolean;
}

/**
 * Runs `command` (which sends one request and waits for its answer) while the targets'
 * progress is printed, when stdout is a terminal and `--quiet` is not given; else runs it
 * alone (the progress printer is not even loaded). `since`: when the command began (ms since
 * the epoch, default now); with `catchUp`, states the targets reached since then, before the
 * subscription, are printed too (`up --wait`: new services exist only once `up` applied them).
 */
export async function withProgress<T>(
  options: GlobalOptions & Quiet,
  targets: string[],
  goal: Goal,
  command: () => Promise<T>,
  { since = Date.now(), catchUp = false }: { since?: number; catchUp?: boolean } = {},
): Promise<T> {
  if (options.quiet === true || process.stdout.isTTY !== true) return command();
  const { watchProgress } = await import('./progress.js');
  const progress = await watchProgress(options, targets, goal, since);
  try {
    if (catchUp) await progress.catchUp(targets);
    return await command();
  } finally {
    await progress.finish();
  }
}

function requireTargets(verb: string, services: string[]): void {
  if (services.length === 0) {
    throw new CliError(`${verb} needs at least one SERVICE (or "all")`, EXIT.usage);
  }
}

/** Waits until the targets run. @throws RemoteError NOT_RUNNING (exit 1) */
export async function waitRunning(
  client: ControlClient,
  targets: string[],
  timeoutMs: number,
): Promise<void> {
  await client.call('wait', { targets, timeoutMs });
}

/** `warden start SERVICE...|all` */
export async function start(services: string[], options: GlobalOptions): Promise<number> {
  requireTargets('start', services);
  const r = await withClient(options, (c) => c.call('start', { targets: services }));
  print(
    r.instances.length === 0
      ? 'warden: nothing to start (all were running)'
      : `warden: starting ${instanceList(r.instances)}`,
  );
  return EXIT.ok;
}

/** `warden stop SERVICE...|all`: returns once every target's process tree is gone. */
export async function stop(services: string[], options: GlobalOptions & Quiet): Promise<number> {
  requireTargets('stop', services);
  const r = await withProgress(options, services, 'stopped', () =>
    withClient(options, (c) => c.call('stop', { targets: services })),
  );
  let complete = true;
  for (const s of r.instances) {
    const exit = s.lastExit === null ? '' : ` (last exit: ${describeExit(s)})`;
    if (options.quiet !== true) print(`warden: ${s.name} ${s.state}${exit}`);
    if (s.survivors.length > 0) {
      complete = false;
      printError(
        `${s.name}: pids ${s.survivors.join(', ')} survived SIGKILL (uninterruptible sleep?)`,
      );
    }
  }
  return complete ? EXIT.ok : EXIT.failed;
}

/**
 * `warden restart SERVICE...|all`; `--rolling SERVICE`: one instance at a time, while an extra
 * instance serves (exit 1 naming the instance that did not come up).
 */
export async function restart(
  services: string[],
  options: GlobalOptions & Quiet & { rolling?: boolean },
): Promise<number> {
  requireTargets('restart', services);
  const rolling = options.rolling === true;
  if (rolling && (services.length !== 1 || services[0] === 'all'))
    throw new CliError('restart --rolling takes exactly one SERVICE', EXIT.usage);
  const service = rolling ? serviceOfInstance(services[0] ?? '') : null;
  if (service !== null) {
    const hint = `try "restart --rolling ${service}"`;
    throw new CliError(`--rolling takes a service name, not an instance: ${hint}`, EXIT.usage);
  }
  // A rolling restart answers once each instance runs again; a plain one once each is started.
  const r = await withProgress(options, services, rolling ? 'running' : 'started', () =>
    withClient(options, (c) => c.call('restart', { targets: services, rolling })),
  );
  if (options.quiet !== true)
    print(`warden: restarted ${rolling ? 'one by one ' : ''}${instanceList(r.instances)}`);
  return EXIT.ok;
}

// The service of an instance name (`web` of `web:1`); null for a service name (which has no `:`).
function serviceOfInstance(name: string): string | null {
  const colon = name.lastIndexOf(':');
  return colon > 0 ? name.slice(0, colon) : null;
}

/** `warden signal SIGNAL SERVICE...|all` */
export async function signal(
  sig: string,
  services: string[],
  options: GlobalOptions,
): Promise<number> {
  requireTargets('signal', services);
  const r = await withClient(options, (c) => c.call('signal', { signal: sig, targets: services }));
  if (r.instances.length === 0)
    throw new CliError(`no running instance to send ${r.signal} to`, EXIT.failed);
  print(`warden: sent ${r.signal} to ${instanceList(r.instances)}`);
  return EXIT.ok;
}

/** `warden wait SERVICE... [--timeout D]`: exit 0 once all run, 1 with the reason otherwise. */
export async function wait(
  services: string[],
  options: GlobalOptions & { timeout?: string },
): Promise<number> {
  requireTargets('wait', services);
  const timeoutMs = parseTimeout(options.timeout);
  await withClient(options, (c) => waitRunning(c, services, timeoutMs));
  print(`warden: ${services.join(', ')} running`);
  return EXIT.ok;
}

/**
 * `warden reload [--dry-run]`: re-reads the config and applies the difference (or only prints
 * it); an invalid one changes nothing (exit 2).
 */
export async function reload(options: GlobalOptions & { dryRun?: boolean }): Promise<number> {
  const dryRun = options.dryRun === true;
  const r = await withClient(options, (c) => c.call('reload', { dryRun }));
  print(dryRun ? 'warden: reload plan (nothing changed):' : 'warden: reloaded');
  printPlan(r, dryRun);
  return EXIT.ok;
}
