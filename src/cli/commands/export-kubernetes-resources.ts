// A service's `limits` as a container's resources.limits and its `listen` sockets as container
// ports (the Kubernetes API reference for Container and ContainerPort), with what has no
// equivalent there.
import type { ServiceSpec } from '../../config/types.js';

// An IANA service name, as a port's `name` must be: at most 15, lowercase, a letter in it.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `resources.limits` of `spec` (`memory` in bytes, `cpu` in millicores), or undefined with
 * none; memory_high, pids and rlimits are listed through `lose`.
 */
export function resourceLimits(
  spec: ServiceSpec,
  lose: (key: string, what: string) => void,
): { limits: Record<string, string> } | undefined {
  const { memoryBytes, memoryHighBytes, cpuCores, pids, rlimits } = spec.limits;
  const limits: Record<string, string> = {};
  if (memoryBytes !== null) limits.memory = String(memoryBytes);
  if (cpuCores !== null) limits.cpu = `${Math.round(cpuCores * 1000)}m`;
  if (memoryHighBytes !== null)
    lose('limits.memory_high', 'no equivalent: a container has only a hard memory limit');
  if (pids !== null)
    lose('limits.pids', "no equivalent per container: the kubelet's podPidsLimit sets it per pod");
  for (const { resource } of rlimits)
    lose(`limits.${resource}`, "no equivalent: rlimits come from the container runtime's defaults");
  return Object.keys(limits).length === 0 ? undefined : { limits };
}

/**
 * The container ports of `spec`'s TCP `listen` sockets. The container binds them itself: no
 * runtime passes sockets as LISTEN_FDS, which is listed, as are unix sockets.
 */
export function containerPorts(
  spec: ServiceSpec,
  lose: (key: string, what: string) => void,
): Record<string, unknown>[] {
  return spec.listen.flatMap((listen) => {
    const { bind } = listen;
    if (bind.kind === 'unix') {
      lose('listen', `${listen.address}: no equivalent: a unix socket is not a container port`);
      return [];
    }
    lose(
      'listen',
      `the container binds ${listen.address} itself (containerPort ${bind.port}): Kubernetes passes no sockets in LISTEN_FDS`,
    );
    const name = listen.name ?? spec.name;
    return [
      {
        containerPort: bind.port,
        ...(name.length <= 15 && PORT_NAME.test(name) ? { name } : {}),
        protocol: 'TCP',
      },
    ];
  });
}
