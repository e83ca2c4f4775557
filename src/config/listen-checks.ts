// Checks of `listen` across keys and services: one address belongs to one service, a readiness
// check does not probe a shared socket, and `ready.fd` does not take an fd the sockets need.
import type { ListenAddress, ListenSpec } from './listen.js';
import type { ReadySpec } from './types.js';
import type { PathIssue } from './zod-issues.js';

/** What the checks read of one service. */
export interface ListenOwner {
  name: string;
  listen: readonly ListenSpec[];
  ready: ReadySpec | null | undefined;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * True when binding both `a` and `b` cannot succeed: the same unix path, or the same TCP port
 * (not 0) where one host covers the other (`0.0.0.0` every IPv4 one, `::` every IPv6 one, a
 * bare port both families).
 */
export function isOverlap(a: ListenAddress, b: ListenAddress): boolean {
  if (a.kind === 'unix' || b.kind === 'unix')
    return a.kind === 'unix' && b.kind === 'unix' && a.path === b.path;
  if (a.port === 0 || a.port !== b.port) return false;
  if (a.host === b.host) return true;
  const covers = (x: typeof a, y: typeof a): boolean =>
    x.dualStack || (WILDCARDS.has(x.host) && x.family === y.family);
  return covers(a, b) || covers(b, a);
}

/**
 * The issues of `listen` in `services` (file order): an address that overlaps another one of
 * the same or an earlier service (at the later entry); a `ready.tcp` or `ready.http` aimed at the
 * service's own shared address; a `ready.fd` among the fds the sockets take (3..).
 */
export function listenIssues(services: readonly ListenOwner[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const seen: { service: string; spec: ListenSpec }[] = [];
  for (const svc of services) {
    svc.listen.forEach((spec, i) => {
      const other = seen.find((s) => isOverlap(s.spec.bind, spec.bind));
      if (other !== undefined) {
        const whose = other.service === svc.name ? 'this service' : `service "${other.service}"`;
        issues.push({
          path: ['services', svc.name, 'listen', i],
          target: 'value',
          message: `${spec.address} is already claimed by ${whose} (${other.spec.address}); one address belongs to one service, whose instances all share it`,
        });
      }
      seen.push({ service: svc.name, spec });
    });
    issues.push(...readyIssues(svc));
  }
  return issues;
}

// A tcp or http check on the service's own listen address, and a `ready.fd` among fds 3..
function readyIssues(svc: ListenOwner): PathIssue[] {
  const check = svc.ready?.check;
  if (check === undefined || svc.listen.length === 0) return [];
  const at = (key: string): PropertyKey[] => ['services', svc.name, 'ready', key];
  if (check.kind === 'fd' && check.fd < 3 + svc.listen.length) {
    const last = 2 + svc.listen.length;
    return [
      {
        path: at('fd'),
        target: 'value',
        message: `fd ${check.fd} is taken by a listen socket (they are fds 3..${last}); use ${last + 1} or above`,
      },
    ];
  }
  const target =
    check.kind === 'tcp' ? { host: check.host, port: check.port, key: 'tcp' } : httpTarget(check);
  if (target === undefined) return [];
  const shared = svc.listen.find(
    (s) =>
      s.bind.kind === 'tcp' &&
      s.bind.port === target.port &&
      (s.bind.dualStack ||
        WILDCARDS.has(s.bind.host) ||
        s.bind.host === target.host ||
        target.host === 'localhost'),
  );
  if (shared === undefined) return [];
  return [
    {
      path: at(target.key),
      target: 'value',
      message: `${target.host}:${target.port} is this service's listen socket ${shared.address}, which every instance (and the kernel's backlog) answers: it cannot tell whether this instance is ready. Use ready: {notify: true} (listenFds() users call notifyReady() once they serve), ready.fd, or an exec/http check on an address of the instance's own`,
    },
  ];
}

// The host and port of a ready.http URL, when it is one.
function httpTarget(check: {
  kind: string;
  url?: string;
}): { host: string; port: number; key: string } | undefined {
  if (check.kind !== 'http' || check.url === undefined) return undefined;
  const url = new URL(check.url);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, key: 'http' };
}
