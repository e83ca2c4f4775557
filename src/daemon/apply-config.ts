// Reading a config for `up`, `reload` and SIGHUP, and applying a reload: the daemon's side of
// "a bad config or a failed reload leaves running services alone".
import { checkDocument, type ConfigSource } from '../config/document.js';
import { formatIssue } from '../config/format.js';
import type { WardenConfig } from '../config/types.js';
import { ProtocolError, type ApplyPlan } from '../ipc/protocol.js';
import type { ReloadPlan } from '../runtime/reload-plan.js';
import type { DaemonContext } from './context.js';
import { syncControl } from './control-access.js';
import { limitIssues } from './limits-fit.js';

// The config at `path`: from `source` when the client sent what it read there; else read here,
// the only case that loads the YAML parser into the daemon (SIGHUP, `reload`).
// A Procfile's `portBase` comes with `up` and is used again by `reload`. A config whose limits
// this daemon's containment cannot apply is refused the same way.
export async function readConfig(
  ctx: DaemonContext,
  path: string,
  source?: ConfigSource,
  portBase?: number,
): Promise<WardenConfig> {
  const loaded =
    source === undefined
      ? await (await import('../config/load.js')).loadConfig(path, { portBase })
      : await checkDocument(source, path);
  if (loaded.ok && portBase !== undefined) loaded.config.portBase = portBase;
  const issues = loaded.ok ? limitIssues(loaded.config, ctx.limits) : loaded.issues;
  if (loaded.ok && issues.length === 0) return loaded.config;
  const lines = issues.map(formatIssue);
  throw new ProtocolError('CONFIG_ERROR', `invalid config:\n${lines.join('\n')}`, lines);
}

/**
 * Re-reads the config file and applies the difference (Supervisor.apply), starting the services
 * it added; with `dryRun`, only returns the plan. An invalid file changes nothing.
 * @throws ProtocolError CONFIG_ERROR with every issue (file:line:col)
 */
export async function reload(ctx: DaemonContext, dryRun = false): Promise<ReloadPlan> {
  const path = ctx.supervisor.config?.path;
  if (path === undefined)
    throw new ProtocolError('CONFIG_ERROR', 'no config loaded yet; run "warden up"');
  if (dryRun) {
    const config = await readConfig(ctx, path, undefined, ctx.supervisor.config?.portBase);
    return ctx.supervisor.apply(config, { dryRun });
  }
  ctx.serviceManager?.reloading();
  try {
    return await applyReload(ctx, path);
  } finally {
    ctx.serviceManager?.reloaded();
  }
}

async function applyReload(ctx: DaemonContext, path: string): Promise<ReloadPlan> {
  const before = ctx.supervisor.config?.control;
  const config = await readConfig(ctx, path, undefined, ctx.supervisor.config?.portBase);
  await ctx.http.sync(config.http);
  const plan = await ctx.supervisor.apply(config);
  syncControl(ctx, before, config.control);
  logApplied(ctx, 'reload', plan);
  if (plan.added.length > 0) ctx.supervisor.start(plan.added);
  return plan;
}

/** Logs what `verb` (`up`, `reload`) changed, or that it changed nothing. */
export function logApplied(ctx: DaemonContext, verb: string, a: ApplyPlan): void {
  const parts = Object.entries({
    added: a.added,
    removed: a.removed,
    changed: a.changed,
    updated: a.updated,
    scaled: a.scaled.map((s) => `${s.service} ${s.from}->${s.to}`),
    restarted: a.restarted,
  })
    .filter(([, names]) => names.length > 0)
    .map(([what, names]) => `${what} [${names.join(', ')}]`);
  ctx.log(`${verb}: ${parts.length === 0 ? 'no change' : parts.join(', ')}`);
}
