// Who a process is started as: the part of a start that only warden-spawner can do (posix_spawn
// cannot change the user), in the form its CREDS field takes (native/warden-spawner.c).

/** What a start changes in the new process between fork and exec; undefined fields are kept. */
export interface SpawnPrivileges {
  uid?: number;
  gid?: number;
  /** setgroups(2); the primary group first. */
  groups?: readonly number[];
  /** umask(2), e.g. 0o027. */
  umask?: number;
  /** PR_SET_NO_NEW_PRIVS (prctl(2)). */
  noNewPrivileges: boolean;
  /** Capability numbers kept as ambient capabilities across the uid change (capabilities(7)). */
  capabilities: readonly number[];
}

/** The CREDS field of a warden-spawner request for `p`: empty when nothing changes. */
export function credsField(p: SpawnPrivileges | undefined): string {
  if (p === undefined) return '';
  let caps = 0n;
  for (const c of p.capabilities) caps |= 1n << BigInt(c);
  return [
    p.uid ?? -1,
    p.gid ?? -1,
    p.umask ?? -1,
    p.noNewPrivileges ? 1 : 0,
    caps.toString(16),
    (p.groups ?? []).join(','),
  ].join(' ');
}
