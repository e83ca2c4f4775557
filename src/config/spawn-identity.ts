// What of a service's definition reaches its process: a change here needs a restart to apply,
// any other change (restart policy, backoff, logs, stop settings, readiness polls) applies live.
import { createHash } from 'node:crypto';
import { NO_LIMITS } from './limits.js';
import type { ServiceSpec } from './types.js';

/**
 * A stable digest (sha256, hex, 16 chars) of what an instance of `spec` is started with: its
 * command, cwd, env, who it runs as (`privileges`), its `limits`, and the readiness and watchdog settings that add to its environment or fds
 * (`ready.notify`, `ready.fd`, `watchdog`). Equal digests: the same process would be started.
 */
export function spawnIdentity(spec: ServiceSpec): string {
  const check = spec.ready?.check;
  const given = check?.kind === 'notify' || check?.kind === 'fd' ? check : null;
  const env = Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: unknown[] = [spec.command, spec.cwd, env, given, spec.watchdogMs];
  // Only when set: the digest of a service without them stays what earlier versions computed.
  const p = spec.privileges;
  const isDaemons =
    p.runAs === null && p.umask === null && !p.noNewPrivileges && p.capabilities.length === 0;
  if (!isDaemons) parts.push(p);
  if (JSON.stringify(spec.limits) !== JSON.stringify(NO_LIMITS)) parts.push(spec.limits);
  // The sockets' order and names reach the process (fds 3.., LISTEN_FDNAMES); backlog and a
  // unix socket's mode apply to the socket as it is.
  if (spec.listen.length > 0) parts.push(spec.listen.map((l) => [l.name, l.address]));
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
