// The one binding of the C library (koffi, a prebuilt FFI): the calls Node lacks. Loaded on first
// use, once per thread, so the CLI's start-up never pays for it; the modules of src/effects/ffi
// wrap these calls, and the few that need calls of their own (posix_spawn, sockets) bind them
// on the same library handle (libcLibrary).
import koffi, { type LibraryHandle } from 'koffi';
import { SyscallError } from './errno.js';

/** The libc functions warden calls directly (signatures as in their man pages). */
export interface Libc {
  flock: (fd: number, op: number) => number;
  malloc_trim: (pad: number) => number;
  prctl: (option: number, a2: number, a3: number, a4: number, a5: number) => number;
  waitpid: (pid: number, status: number[], options: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  getsockopt: (fd: number, level: number, name: number, value: Ucred, length: number[]) => number;
  syscall: (nr: number, ...typedArgs: unknown[]) => number;
  pipe2: (fds: number[], flags: number) => number;
  waitid: (idtype: number, id: number, info: Int32Array, options: number) => number;
  getrlimit: (resource: number, limits: Buffer) => number;
  setrlimit: (resource: number, limits: Buffer) => number;
  poll: (fds: Int32Array, nfds: number, timeoutMs: number) => number;
}

/** struct ucred (unix(7), SO_PEERCRED). */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

let library: LibraryHandle | undefined;
let libcFunctions: Libc | undefined;

/** The C library's handle (koffi.load, once per thread), to bind further functions on. */
export function libcLibrary(): LibraryHandle {
  library ??= koffi.load('libc.so.6');
  return library;
}

/** The bound functions of Libc. */
export function libc(): Libc {
  if (libcFunctions !== undefined) return libcFunctions;
  const lib = libcLibrary();
  koffi.struct('ucred', { pid: 'int32_t', uid: 'uint32_t', gid: 'uint32_t' });
  libcFunctions = {
    flock: lib.func('int flock(int fd, int op)') as Libc['flock'],
    malloc_trim: lib.func('int malloc_trim(size_t pad)') as Libc['malloc_trim'],
    prctl: lib.func(
      'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
    ) as Libc['prctl'],
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as Libc['waitpid'],
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)') as Libc['fcntl'],
    syscall: lib.func('long syscall(long nr, ...)') as Libc['syscall'],
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)') as Libc['pipe2'],
    waitid: lib.func(
      'int waitid(int idtype, int id, _Inout_ void *info, int options)',
    ) as Libc['waitid'],
    getrlimit: lib.func('int getrlimit(int resource, _Out_ void *rlim)') as Libc['getrlimit'],
    setrlimit: lib.func('int setrlimit(int resource, void *rlim)') as Libc['setrlimit'],
    getsockopt: lib.func(
      'int getsockopt(int fd, int level, int name, _Out_ ucred *value, _Inout_ uint32_t *length)',
    ) as Libc['getsockopt'],
    poll: lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)') as Libc['poll'],
  };
  return libcFunctions;
}

/** The errno of the last failed call on this thread (koffi saves it right after each call). */
export function lastErrno(): number {
  return koffi.errno();
}

/** `result`, unless it is -1: then a SyscallError for `syscall` with the errno. */
export function check(syscall: string, result: number): number {
  if (result === -1) throw new SyscallError(syscall, koffi.errno());
  return result;
}
