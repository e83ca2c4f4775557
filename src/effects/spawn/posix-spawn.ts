// posix_spawn(3) through koffi. glibc spawns with clone(CLONE_VM | CLONE_VFORK), so the daemon's
// page tables are not copied (child_process.spawn forks: 3 to 4 ms blocked with a daemon-sized
// heap, against 0.2 to 0.8 ms here), and an exec failure is the call's own result.
import { closeSync } from 'node:fs';
import { SyscallError } from '../ffi/errno.js';
import { dupAbove } from '../ffi/fds.js';
import { libcLibrary } from '../ffi/libc.js';
import { needsListenPid, withListenPid } from './listen-fds.js';

/** One process to start. */
export interface PosixSpawnRequest {
  /** The program, as a path: no PATH search is done here. */
  path: string;
  /** Its argv, argv[0] included. */
  argv: readonly string[];
  /** Its complete environment. */
  env: Readonly<Record<string, string>>;
  /** The working directory it starts in (absolute). */
  cwd: string;
  /**
   * Its fds: fd number in the new process -> fd of the caller dup2'd there. fd 0 is /dev/null
   * unless given; every fd not given is closed in the new process.
   */
  fds: ReadonlyMap<number, number>;
}

interface Spawn {
  spawn: (
    pid: number[],
    path: string,
    actions: Buffer,
    attr: Buffer,
    argv: (string | null)[],
    envp: (string | null)[],
  ) => number;
  init: (actions: Buffer) => number;
  destroy: (actions: Buffer) => number;
  dup2: (actions: Buffer, fd: number, to: number) => number;
  open: (actions: Buffer, fd: number, path: string, flags: number, mode: number) => number;
  close: (actions: Buffer, fd: number) => number;
  chdir: (actions: Buffer, path: string) => number;
  /** undefined before glibc 2.34: the daemon's fds are all close-on-exec anyway. */
  closeFrom: ((actions: Buffer, from: number) => number) | undefined;
  /** The attributes every spawn shares (initialized once, never destroyed). */
  attr: Buffer;
}

// glibc's posix_spawnattr_t flags (spawn.h).
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
// Room for posix_spawn_file_actions_t (80 bytes in glibc), posix_spawnattr_t (336), sigset_t (128).
const ACTIONS_BYTES = 128;
const ATTR_BYTES = 512;
const SIGSET_BYTES = 128;

let bound: Spawn | undefined;

// A function glibc may lack (koffi throws when binding a missing symbol).
function optional<T>(bind: () => T): T | undefined {
  try {
    return bind();
  } catch {
    return undefined;
  }
}

// Binds on first use. addchdir_np needs glibc 2.29; addclosefrom_np (2.34) is used where present.
function load(): Spawn {
  if (bound !== undefined) return bound;
  const lib = libcLibrary();
  const fn = <T>(decl: string): T => lib.func(decl) as T;
  const attr = Buffer.alloc(ATTR_BYTES);
  const all = Buffer.alloc(SIGSET_BYTES);
  const none = Buffer.alloc(SIGSET_BYTES);
  const call = (name: string, r: number): void => {
    if (r !== 0) throw new SyscallError(name, r);
  };
  call(
    'posix_spawnattr_init',
    fn<(a: Buffer) => number>('int posix_spawnattr_init(void *a)')(attr),
  );
  // Signals 1 to 64 by hand: sigfillset leaves out glibc's internal 32 and 33, which its spawn
  // would then leave ignored in the new process (SIG_IGN survives execve).
  all.fill(0xff, 0, 8);
  // Every signal back to its default action (Node ignores SIGPIPE), none blocked, own session.
  const setMask = fn<(a: Buffer, s: Buffer) => number>(
    'int posix_spawnattr_setsigmask(void *a, void *set)',
  );
  const setDefault = fn<(a: Buffer, s: Buffer) => number>(
    'int posix_spawnattr_setsigdefault(void *a, void *set)',
  );
  const setFlags = fn<(a: Buffer, f: number) => number>(
    'int posix_spawnattr_setflags(void *a, short flags)',
  );
  call('posix_spawnattr_setsigmask', setMask(attr, none));
  call('posix_spawnattr_setsigdefault', setDefault(attr, all));
  call(
    'posix_spawnattr_setflags',
    setFlags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
  );
  bound = {
    spawn: fn(
      'int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)',
    ),
    init: fn('int posix_spawn_file_actions_init(void *actions)'),
    destroy: fn('int posix_spawn_file_actions_destroy(void *actions)'),
    dup2: fn('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
    open: fn(
      'int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, unsigned int mode)',
    ),
    close: fn('int posix_spawn_file_actions_addclose(void *actions, int fd)'),
    chdir: fn('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
    closeFrom: optional(() =>
      fn('int posix_spawn_file_actions_addclosefrom_np(void *actions, int from)'),
    ),
    attr,
  };
  return bound;
}

const O_RDONLY = 0;

/**
 * Starts `req` in a new session (setsid, no controlling terminal) with every signal at its
 * default action and none blocked, in `req.cwd`, with exactly the fds of `req.fds` (POSIX
 * posix_spawn(3), glibc's addchdir_np and addclosefrom_np). The caller reaps it (waitid).
 * @returns the pid
 * @throws SyscallError with the errno name in `code`: ENOENT, EACCES, ENOEXEC, E2BIG from the
 * exec; EAGAIN, ENOMEM from the clone; EINVAL for a NUL byte in an argument or variable
 */
export function posixSpawn(req: PosixSpawnRequest): number {
  // posix_spawn runs no code of ours between fork and exec: sh fills LISTEN_PID in (listen-fds.ts).
  const started = needsListenPid(req.env) ? withListenPid(req.path, req.argv) : req;
  const argv = [...started.argv];
  const envp = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  if ([started.path, req.cwd, ...argv, ...envp].some((s) => s.includes('\0')))
    throw new SyscallError('posix_spawn (a NUL byte in an argument)', 22);
  const s = load();
  const top = Math.max(2, ...req.fds.keys());
  // A source fd among the targets could be overwritten by an earlier dup2: move it above them.
  const moved: number[] = [];
  const actions = Buffer.alloc(ACTIONS_BYTES);
  const init = s.init(actions);
  if (init !== 0) throw new SyscallError('posix_spawn_file_actions_init', init);
  try {
    const step = (name: string, r: number): void => {
      if (r !== 0) throw new SyscallError(name, r);
    };
    if (!req.fds.has(0))
      step('posix_spawn_file_actions_addopen', s.open(actions, 0, '/dev/null', O_RDONLY, 0));
    for (let fd = 0; fd <= top; fd++) {
      let from = req.fds.get(fd);
      if (from === undefined) {
        if (fd > 0) step('posix_spawn_file_actions_addclose', s.close(actions, fd));
        continue;
      }
      if (from <= top) moved.push((from = dupAbove(from, top + 1)));
      step('posix_spawn_file_actions_adddup2', s.dup2(actions, from, fd));
    }
    if (s.closeFrom !== undefined)
      step('posix_spawn_file_actions_addclosefrom_np', s.closeFrom(actions, top + 1));
    step('posix_spawn_file_actions_addchdir_np', s.chdir(actions, req.cwd));
    const pid = [0];
    const r = s.spawn(pid, started.path, actions, s.attr, [...argv, null], [...envp, null]);
    if (r !== 0) throw new SyscallError('posix_spawn', r);
    return pid[0] ?? 0;
  } finally {
    s.destroy(actions);
    for (const fd of moved) closeSync(fd);
  }
}
