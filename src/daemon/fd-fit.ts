// Whether the daemon's open files limit fits a config: said at start-up and by `up`, so that
// instances failing with EMFILE come as no surprise.
import type { WardenConfig } from '../config/types.js';
import {
  FD_RESERVE,
  FDS_OF_DAEMON,
  FDS_PER_INSTANCE,
  fdsNeeded,
} from '../effects/spawn/fd-budget.js';
import {
  openFilesLimit,
  raiseOpenFilesLimit,
  type OpenFilesLimit,
} from '../effects/ffi/process.js';

/**
 * Raises the soft open files limit to the hard one (Node does so too at start, but only in its
 * main process), and says what it is. @returns the words for the daemon log
 */
export function raiseFdLimit(): string {
  let limit: OpenFilesLimit;
  try {
    limit = raiseOpenFilesLimit();
  } catch (error) {
    return `cannot raise the open files limit: ${String(error)}`;
  }
  return `open files limit ${limit.soft} (hard ${limit.hard})`;
}

/**
 * A warning when every instance of `config` running at once would need more fds than the soft
 * open files limit (RLIMIT_NOFILE) allows; undefined when they fit.
 */
export function fdLimitWarning(config: WardenConfig): string | undefined {
  const services = config.services.map((s) => ({
    instances: s.instances,
    pipes: s.ready?.check.kind === 'fd' ? 1 : 0,
  }));
  const needed = fdsNeeded(services);
  let limit: number;
  try {
    limit = openFilesLimit().soft;
  } catch {
    return undefined;
  }
  if (needed <= limit) return undefined;
  const instances = services.reduce((n, s) => n + s.instances, 0);
  const fit = Math.max(0, Math.floor((limit - FDS_OF_DAEMON - FD_RESERVE) / FDS_PER_INSTANCE));
  return (
    `the open files limit (${limit}) fits about ${Math.min(fit, instances)} of the config's ` +
    `${instances} instances (${needed} fds needed: ${FDS_PER_INSTANCE} per instance, ` +
    `${FDS_OF_DAEMON + FD_RESERVE} for the daemon); the others fail with EMFILE. Raise the hard ` +
    `limit of the daemon (ulimit -Hn, LimitNOFILE=) and start it again ("warden down", "warden up")`
  );
}
