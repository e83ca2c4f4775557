// Linux capability names and numbers (capabilities(7); include/uapi/linux/capability.h).

/** CAP_* names by capability number (0 to 40, Linux 5.9: CAP_CHECKPOINT_RESTORE). */
const NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** Every capability name warden knows, in number order. */
export const CAPABILITY_NAMES: readonly string[] = NAMES;

/**
 * The number of capability `name` (`CAP_NET_BIND_SERVICE`, or without the prefix, any case).
 * @returns undefined for a name capabilities(7) does not list
 */
export function capabilityNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  const n = CAPABILITY_NAMES.indexOf(full);
  return n === -1 ? undefined : n;
}
