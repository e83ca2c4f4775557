// The one errno table of warden: numbers to names (koffi's errno, sd_notify's `ERRNO=`), and the
// errno name of a thrown error (Node's fs and net errors, SyscallError). Node's own tables only:
// no FFI, so the CLI may use it.
import { constants } from 'node:os';

// Made on first use (the CLI's start-up loads this module for errnoOf alone).
let names: Map<number, string> | undefined;

/** The name of errno `n` on this platform (`ENOENT`; `EAGAIN` for 11), or undefined. */
export function errnoName(n: number): string | undefined {
  if (names === undefined) {
    names = new Map();
    // The first name of a number wins: EAGAIN, not its alias EWOULDBLOCK (isTransientSpawnError).
    for (const [name, k] of Object.entries(constants.errno)) if (!names.has(k)) names.set(k, name);
  }
  return names.get(n);
}

/**
 * The errno name of a thrown error: the string `code` of a Node system error (`ENOENT`,
 * `EADDRINUSE`...) or of a SyscallError; undefined for anything else.
 */
export function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** A failed system call, with the errno name in `code` (like Node's own fs errors). */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number) {
    const code = errnoName(errno) ?? `E${errno}`;
    super(`${syscall} failed: ${code}`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}
