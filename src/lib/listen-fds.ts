// The listening sockets a supervisor passed to this process (warden's `listen`, systemd's socket
// activation), read as sd_listen_fds(3) says: fds 3.. counted by LISTEN_FDS, meant for the pid
// in LISTEN_PID, named by LISTEN_FDNAMES.
import { fstatSync } from 'node:fs';
import { WardenError } from '../core/warden-error.js';
import { libc } from '../effects/ffi/libc.js';

const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** A listening socket passed to this process. */
export interface ListenFd {
  /** Its fd (3, 4, ...): give it to `server.listen({ fd })`. */
  fd: number;
  /**
   * Its name: warden's `listen[].name` (default the service's name); systemd's
   * FileDescriptorName=; `unknown` when the supervisor named none (sd_listen_fds_with_names(3)).
   */
  name: string;
}

/** SD_LISTEN_FDS_START (sd-daemon.h). */
const FIRST_FD = 3;

/** The variables are read once: the first call removes them, as sd_listen_fds(1) does. */
let taken: ListenFd[] | undefined;

/**
 * The listening sockets passed to this process, in order (fd 3 first), each with its name; []
 * when none were passed, or when they were meant for another process (LISTEN_PID is not this
 * process's pid: a child that inherited the variables). The first call removes LISTEN_FDS,
 * LISTEN_PID and LISTEN_FDNAMES from `process.env` (so children do not take them for theirs, as
 * `sd_listen_fds(1)` does), marks the fds close-on-exec, and later calls return the same list. Works the same under warden and
 * under systemd (sd_listen_fds(3)).
 * @returns the sockets, e.g. `[{ fd: 3, name: 'http' }]`; `server.listen({ fd })` serves one
 * @throws WardenError `EINVAL` when LISTEN_FDS is not a count, or names an fd this process does
 * not have (`EBADF`)
 */
export function listenFds(): ListenFd[] {
  if (taken !== undefined) return taken;
  const env = process.env;
  const { LISTEN_FDS: count, LISTEN_PID: pid, LISTEN_FDNAMES: names } = env;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (count === undefined || pid === undefined || Number(pid) !== process.pid) return (taken = []);
  const n = Number(count);
  if (!/^\d+$/.test(count) || n > 1024)
    throw new WardenError('EINVAL', `LISTEN_FDS=${count} is not a count of file descriptors`);
  const given = names === undefined ? [] : names.split(':');
  taken = Array.from({ length: n }, (_, i) => {
    const fd = FIRST_FD + i;
    try {
      fstatSync(fd);
    } catch {
      throw new WardenError('EBADF', `LISTEN_FDS=${count}, but fd ${fd} is not open`);
    }
    // As sd_listen_fds(3): the sockets are this process's, not its children's (exec closes them).
    libc().fcntl(fd, F_SETFD, FD_CLOEXEC);
    return { fd, name: given[i] ?? 'unknown' };
  });
  return taken;
}
