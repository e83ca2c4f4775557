// The sd_listen_fds(3) contract on the spawning side: an instance gets its listening sockets as
// fds 3.., LISTEN_FDS their count, LISTEN_FDNAMES their names (colon-separated) and LISTEN_PID
// its own pid, which only the new process knows: the spawn sets `LISTEN_PID=` (empty) and each
// start path fills it in between fork and exec (warden-spawner in C, a posix_spawn through
// `sh`'s `$$`, which exec keeps).

/** A socket passed to an instance. */
export interface PassedSocket {
  /** The daemon's fd; the instance gets it as fd 3 + its index. */
  fd: number;
  /** Its LISTEN_FDNAMES entry. */
  name: string;
}

/** The first fd of the passed sockets (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

/** The variables an instance with `sockets` gets; LISTEN_PID empty, filled in by the start. */
export function listenEnv(sockets: readonly PassedSocket[]): Record<string, string> {
  return {
    LISTEN_FDS: String(sockets.length),
    LISTEN_FDNAMES: sockets.map((s) => s.name).join(':'),
    LISTEN_PID: '',
  };
}

/** True when `env` asks for its LISTEN_PID to be filled in at the start. */
export function needsListenPid(env: Readonly<Record<string, string>>): boolean {
  return env.LISTEN_PID === '';
}

// `$$` is the shell's pid, which `exec` hands on to the program. `$0` is the wrapper's name.
const SET_LISTEN_PID = 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"';

/**
 * The argv and path that start `path` with `argv` through /bin/sh, which sets LISTEN_PID to its
 * own pid and execs the program in its place (the program's ENOEXEC fallback is sh's own).
 */
export function withListenPid(
  path: string,
  argv: readonly string[],
): { path: string; argv: string[] } {
  return {
    path: '/bin/sh',
    argv: ['/bin/sh', '-c', SET_LISTEN_PID, argv[0] ?? path, path, ...argv.slice(1)],
  };
}
