// One service of a warden config as a Kubernetes Deployment (apps/v1; the Kubernetes API
// reference for Deployment, Container, Probe and SecurityContext), and the list of what has no
// exact equivalent there.
import type { ServiceSpec } from '../../config/types.js';
import type { HealthCheck } from '../../core/spec.js';
import { scheduledJob, taskJob } from './export-kubernetes-jobs.js';
import { containerPorts, resourceLimits } from './export-kubernetes-resources.js';
import type { WrittenService } from './export-systemd-unit.js';

/** How the objects are meant to be used. */
export interface KubernetesTarget {
  /** The container image of every Deployment (the config does not say it). */
  image: string | null;
  /** Prepended to each service's name. */
  prefix: string;
}

/** A Deployment (as plain data, ready for YAML) and what it could not say. */
export interface ExportedObject {
  name: string;
  object: Record<string, unknown>;
  /** `services.web.ready: ...`, one per lossy key. */
  losses: string[];
}

/** The image written when none is given: a placeholder the API server would refuse to pull. */
export const IMAGE_PLACEHOLDER = 'REPLACE-WITH-YOUR-IMAGE';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `name` as an RFC 1123 label (lowercase letters, digits, `-`; at most 63), as object names must be. */
export function dnsLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'service' : label;
}

/**
 * The Deployment of `spec`: `replicas` from `instances`, the container's command, env and
 * workingDir, `ready` as its readinessProbe, privileges as its securityContext, `stop_timeout`
 * as the grace period. `written` is what the file says of the service (for env_file).
 */
export function exportDeployment(
  spec: ServiceSpec,
  written: WrittenService,
  target: KubernetesTarget,
): ExportedObject {
  const losses: string[] = [];
  const lose = (key: string, what: string): void =>
    void losses.push(`services.${spec.name}.${key}: ${what}`);
  const name = dnsLabel(`${target.prefix}${spec.name}`);
  if (!DNS_LABEL.test(`${target.prefix}${spec.name}`))
    lose('name', `not a valid Kubernetes name: the objects are named "${name}"`);
  if (target.image === null)
    lose(
      'image',
      `the config names no image: each container has "${IMAGE_PLACEHOLDER}"; use --image`,
    );
  const labels = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/managed-by': 'warden-export',
  };

  const container: Record<string, unknown> = {
    name,
    image: target.image ?? IMAGE_PLACEHOLDER,
    command:
      spec.command.kind === 'shell' ? ['/bin/sh', '-c', spec.command.script] : spec.command.argv,
    workingDir: spec.cwd,
  };
  const ownEnv = Object.keys(written.env ?? {});
  const env = [
    { name: 'WARDEN_SERVICE', value: spec.name },
    ...ownEnv.map((k) => ({ name: k, value: spec.env[k] ?? '' })),
  ];
  container.env = env;
  if (written.env_file !== undefined) {
    const secret = `${name}-env`;
    container.envFrom = [{ secretRef: { name: secret } }];
    lose(
      'env_file',
      `read from the Secret "${secret}": kubectl create secret generic ${secret} --from-env-file=${written.env_file}`,
    );
  }
  const probe = readinessProbe(spec, lose);
  if (probe !== undefined && spec.ready !== null) {
    container.readinessProbe = probe;
    // warden's ready timeout (a failed start, then a restart) as a startupProbe: the kubelet
    // restarts a container that has not passed it after that many failed probes.
    const period = probe.periodSeconds as number;
    container.startupProbe = {
      ...probe,
      failureThreshold: Math.max(1, Math.ceil(spec.ready.timeoutMs / 1000 / period)),
    };
  }
  const health = spec.health;
  if (health !== null) {
    // warden's health check as the kubelet's: the same probe, every interval, failing after
    // `failures` in a row; a start period as the probe's initial delay.
    const liveness = probeOf(health.check);
    container.livenessProbe = {
      ...liveness,
      periodSeconds: Math.max(1, Math.round(health.intervalMs / 1000)),
      timeoutSeconds: Math.max(1, Math.round(health.timeoutMs / 1000)),
      failureThreshold: health.failures,
      ...(health.startPeriodMs > 0
        ? { initialDelaySeconds: Math.round(health.startPeriodMs / 1000) }
        : {}),
    };
  }
  if (spec.watch !== null) lose('watch', 'no equivalent: build a new image and roll it out');
  if (spec.onExit === 'shutdown')
    lose('on_exit', 'no equivalent: each Deployment lives on its own; put the programs in one pod');
  const ports = containerPorts(spec, lose);
  if (ports.length > 0) container.ports = ports;
  const resources = resourceLimits(spec, lose);
  if (resources !== undefined) container.resources = resources;
  const security = securityContext(spec, written, lose);
  if (security !== undefined) container.securityContext = security;

  const isTask = spec.kind === 'task';
  if (spec.restart !== 'always' && !isTask)
    lose('restart', `"${spec.restart}": a Deployment's pods always restart (restartPolicy Always)`);
  if (spec.stopSignal !== 'SIGTERM')
    lose(
      'stop_signal',
      `${spec.stopSignal}: the kubelet sends SIGTERM (or the image's STOPSIGNAL)`,
    );
  if (spec.dependsOn.length > 0)
    lose(
      'depends_on',
      'no equivalent between Deployments: each must wait for what it needs itself',
    );
  if (spec.watchdogMs !== null) lose('watchdog', 'no equivalent: use a livenessProbe');
  lose('logs', 'stdout and stderr go to the kubelet (kubectl logs); no log files are kept');

  const pod = {
    containers: [container],
    terminationGracePeriodSeconds: Math.ceil(spec.stopTimeoutMs / 1000),
  };
  if (isTask) {
    const job = taskJob(spec, name, labels, pod);
    const cronJob = spec.schedule === null ? null : scheduledJob(spec.schedule, job, lose);
    return { name, object: cronJob ?? job, losses };
  }
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: spec.instances,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: { metadata: { labels }, spec: pod },
    },
  };
  return { name, object, losses };
}

function readinessProbe(
  spec: ServiceSpec,
  lose: (key: string, what: string) => void,
): Record<string, unknown> | undefined {
  const ready = spec.ready;
  if (ready === null) return undefined;
  const periodSeconds = Math.max(1, Math.round(ready.intervalMs / 1000));
  const check = ready.check;
  switch (check.kind) {
    case 'tcp':
    case 'http':
    case 'exec':
      return { ...probeOf(check), periodSeconds };
    case 'notify':
    case 'fd':
    case 'log':
      lose('ready', `a ${check.kind} check has no probe equivalent: the pod is ready once started`);
      return undefined;
  }
}

// A tcp, http or exec check as the kubelet's probe handler (the Probe of the Kubernetes API).
function probeOf(check: HealthCheck): Record<string, unknown> {
  switch (check.kind) {
    case 'tcp':
      return { tcpSocket: { port: check.port } };
    case 'http': {
      const url = new URL(check.url);
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      const scheme = url.protocol === 'https:' ? 'HTTPS' : 'HTTP';
      return { httpGet: { path: `${url.pathname}${url.search}`, port, scheme } };
    }
    case 'exec':
      return {
        exec: {
          command:
            check.command.kind === 'shell'
              ? ['/bin/sh', '-c', check.command.script]
              : check.command.argv,
        },
      };
  }
}

function securityContext(
  spec: ServiceSpec,
  written: WrittenService,
  lose: (key: string, what: string) => void,
): Record<string, unknown> | undefined {
  const { runAs, noNewPrivileges, capabilities, umask } = spec.privileges;
  const context: Record<string, unknown> = {};
  if (runAs !== null) {
    if (runAs.user !== null) context.runAsUser = runAs.uid;
    context.runAsGroup = runAs.gid;
    lose(
      'user',
      `uid ${runAs.uid} and gid ${runAs.gid} as this machine's user database says; the image's may differ`,
    );
  }
  if (noNewPrivileges) context.allowPrivilegeEscalation = false;
  if (capabilities.length > 0) context.capabilities = { add: capabilityNames(written) };
  if (umask !== null) lose('umask', 'no equivalent: set it in the image or the command');
  return Object.keys(context).length === 0 ? undefined : context;
}

// Kubernetes names capabilities without the CAP_ prefix (NET_BIND_SERVICE).
function capabilityNames(written: WrittenService): string[] {
  return (written.capabilities ?? []).map((n) => n.toUpperCase().replace(/^CAP_/, ''));
}
