// A service's `limits` as systemd resource directives (systemd.resource-control(5),
// systemd.exec(5) "Process properties") and its `listen` sockets as .socket units
// (systemd.socket(5)) whose file descriptors the service inherits (Sockets=).
import type { ListenAddress, ListenSpec, RlimitName, ServiceSpec } from '../../config/types.js';
import { specifiers } from './startup-unit.js';

/** A unit file besides the service's own: a `.socket` unit. */
export interface ExtraUnit {
  file: string;
  text: string;
}

const LIMIT_DIRECTIVES: Record<RlimitName, string> = {
  nofile: 'LimitNOFILE',
  nproc: 'LimitNPROC',
  core: 'LimitCORE',
  stack: 'LimitSTACK',
  as: 'LimitAS',
};

/**
 * The [Service] lines of `spec.limits`: cgroup limits (MemoryMax=, MemoryHigh=, CPUQuota=,
 * TasksMax=) and rlimits (Limit*=soft:hard, `infinity` for unlimited). Each instance of a
 * template unit gets them, as each warden instance has its own cgroup.
 */
export function limitLines(spec: ServiceSpec): string[] {
  const { memoryBytes, memoryHighBytes, cpuCores, pids, rlimits } = spec.limits;
  const lines: string[] = [];
  if (memoryBytes !== null) lines.push(`MemoryMax=${memoryBytes}`);
  if (memoryHighBytes !== null) lines.push(`MemoryHigh=${memoryHighBytes}`);
  if (cpuCores !== null) lines.push(`CPUQuota=${Math.round(cpuCores * 100)}%`);
  if (pids !== null) lines.push(`TasksMax=${pids}`);
  const value = (n: number | null): string => (n === null ? 'infinity' : String(n));
  for (const { resource, soft, hard } of rlimits) {
    const both = soft === hard ? value(soft) : `${value(soft)}:${value(hard)}`;
    lines.push(`${LIMIT_DIRECTIVES[resource]}=${both}`);
  }
  return lines;
}

// ListenStream= of one address: warden's bare port listens on every IPv6 and IPv4 address, as
// systemd's does (BindIPv6Only=default); an IPv6 host alone is IPv6-only in warden.
function listenStream(bind: ListenAddress): string[] {
  if (bind.kind === 'unix') return [`ListenStream=${specifiers(bind.path)}`];
  if (bind.dualStack) return [`ListenStream=${bind.port}`];
  if (bind.family === 4) return [`ListenStream=${bind.host}:${bind.port}`];
  return [`ListenStream=[${bind.host}]:${bind.port}`, 'BindIPv6Only=ipv6-only'];
}

// The socket options of one listen entry that systemd sets per socket unit.
function socketOptions(listen: ListenSpec): string[] {
  const lines = [`Backlog=${listen.backlog}`];
  const { bind } = listen;
  if (bind.kind !== 'unix') return lines;
  if (bind.mode !== null) lines.push(`SocketMode=${bind.mode.toString(8).padStart(4, '0')}`);
  if (bind.uid !== null) lines.push(`SocketUser=${bind.uid}`);
  if (bind.gid !== null) lines.push(`SocketGroup=${bind.gid}`);
  return lines;
}

/**
 * One .socket unit per name in LISTEN_FDNAMES (systemd gives every socket of a unit the same
 * FileDescriptorName=): `web.socket` for the service's own name, `web-admin.socket` for `admin`.
 * Each names the service it starts: `web.service`, or the first instance of a template.
 * @param base the unit name of the service without `.service` (`app-web` or `app-web@`).
 * @param mark the first line of every exported unit.
 */
export function socketUnits(spec: ServiceSpec, base: string, mark: string): ExtraUnit[] {
  const byName = new Map<string, ListenSpec[]>();
  for (const listen of spec.listen) {
    const name = listen.name ?? spec.name;
    byName.set(name, [...(byName.get(name) ?? []), listen]);
  }
  const stem = base.endsWith('@') ? base.slice(0, -1) : base;
  const service = base.endsWith('@') ? `${base}0.service` : `${base}.service`;
  return [...byName].map(([name, listens]) => {
    const file = `${stem}${name === spec.name ? '' : `-${name}`}.socket`;
    const text = [
      `${mark} from service ${spec.name}.`,
      '[Unit]',
      `Description=${specifiers(`warden service ${spec.name}: socket ${name}`)}`,
      '',
      '[Socket]',
      ...listens.flatMap((l) => listenStream(l.bind)),
      // One unit holds one name; the options of its first entry (warden sets them per entry).
      ...socketOptions(listens[0] as ListenSpec),
      `FileDescriptorName=${name}`,
      `Service=${service}`,
      '',
      '[Install]',
      'WantedBy=sockets.target',
      '',
    ].join('\n');
    return { file, text };
  });
}
