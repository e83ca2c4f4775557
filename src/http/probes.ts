// `/healthz` and `/readyz` (docs/http-api.md "Probes"): what a kubelet's liveness and readiness
// probes, or a load balancer, ask. Both read the daemon through the method table: /healthz is
// `hello`, /readyz is `status` judged.
import type { InstanceStatus } from '../core/status.js';
import { sendErrorBody, sendJson } from './answer.js';
import type { Router } from './router.js';
import type { WardenSource } from './source.js';

/** One instance that keeps the daemon from being ready, and why. */
export interface NotReady {
  instance: string;
  state: InstanceStatus['state'];
  why: string;
}

/**
 * The instances that are not where they are meant to be: every instance of the config is meant
 * to be `running`, except one that `exited` with code 0 (it ended well, and its restart policy
 * says not to start it again: a one-shot job done). A stopped instance counts as not ready.
 */
export function notReady(instances: readonly InstanceStatus[]): NotReady[] {
  return instances
    .filter((s) => !isWhereMeant(s))
    .map((s) => ({ instance: s.name, state: s.state, why: whyNot(s) }));
}

function isWhereMeant(s: InstanceStatus): boolean {
  if (s.state === 'running') return true;
  return (
    s.state === 'exited' && s.lastExit !== null && 'code' in s.lastExit && s.lastExit.code === 0
  );
}

function whyNot(s: InstanceStatus): string {
  if (s.reason !== null) return s.reason;
  if (s.waiting !== null) return `not ready: ${s.waiting}`;
  const exit = s.lastExit;
  if (exit === null) return s.state;
  const how =
    'code' in exit
      ? `exit code ${exit.code}`
      : 'signal' in exit
        ? `killed by ${exit.signal}`
        : 'spawnError' in exit
          ? `${exit.spawnError} ${exit.path}`
          : exit.unknown;
  return `${s.state} (last exit: ${how})`;
}

/** Adds GET /healthz and GET /readyz to `router`. */
export function addProbeRoutes(router: Router, source: WardenSource): void {
  router.add('GET', '/healthz', async (req, res) => {
    const hello = await source.call('hello', {}, req.socket);
    if ('error' in hello) return sendErrorBody(res, hello.error);
    sendJson(res, 200, { status: 'ok', version: hello.result.version, pid: hello.result.pid });
  });
  router.add('GET', '/readyz', async (req, res) => {
    const status = await source.call('status', {}, req.socket);
    if ('error' in status) return sendErrorBody(res, status.error);
    const report = status.result;
    if (report.daemon.config === null)
      return sendJson(res, 503, { ready: false, why: 'no config loaded yet (warden up)' });
    const waiting = notReady(report.instances);
    if (waiting.length === 0)
      return sendJson(res, 200, { ready: true, instances: report.instances.length });
    sendJson(res, 503, { ready: false, notReady: waiting });
  });
}
