// An instance's stdout and stderr pipes: made at spawn (read-write for the service, so that it
// holds a read end itself), and found again in /proc by a later daemon that adopts it.
import { closeSync, constants, openSync, readdirSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { openOutputReader } from './output-reader.js';
import { makePipe, setPipeSize } from '../ffi/fds.js';

/**
 * Capacity asked for the stdout and stderr pipes (bytes): a burst of output waits there while
 * the daemon is busy, instead of stalling the service (the default is 64 KiB). Best effort.
 */
export const OUTPUT_PIPE_BYTES = 1024 * 1024;

/**
 * The identity of an instance's stdout and stderr pipes (inode numbers, as `pipe:[INODE]` in
 * /proc/PID/fd), kept in state.json so that a later daemon can read them again.
 */
export interface OutputPipes {
  stdout: number;
  stderr: number;
}

/**
 * Reads the output pipes of an adopted process again: opens /proc/PID/fd/N for reading where N
 * is still the pipe `pipes` names: fd 1 and 2 first, else any fd of the process (a shell running
 * `cmd > file` keeps its stdout at a saved fd meanwhile). A process that let go of a pipe is not
 * read. @returns a stream per pipe found (undefined for one that is not)
 */
export function reopenOutputPipes(
  pid: number,
  pipes: OutputPipes,
): { stdout: Socket | undefined; stderr: Socket | undefined } {
  let all: string[] | undefined;
  const find = (usual: number, inode: number): string | undefined => {
    const target = `pipe:[${inode}]`;
    const at = (fd: string): boolean => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false; // ENOENT: not open; EACCES: not ours to read
      }
    };
    if (at(String(usual))) return String(usual);
    try {
      all ??= readdirSync(`/proc/${pid}/fd`);
    } catch {
      return undefined;
    }
    return all.find(at);
  };
  const reopen = (usual: number, inode: number): Socket | undefined => {
    const fd = find(usual, inode);
    if (fd === undefined) return undefined;
    try {
      return openOutputReader(
        openSync(`/proc/${pid}/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK),
      );
    } catch {
      return undefined; // gone in between
    }
  };
  return { stdout: reopen(1, pipes.stdout), stderr: reopen(2, pipes.stderr) };
}

/**
 * A pipe for stdout or stderr, at OUTPUT_PIPE_BYTES if the kernel allows (pipe-max-size).
 * @returns [the read end, a read-write end for the child], both close-on-exec
 * @throws SyscallError or a Node fs error (EMFILE, ENFILE)
 */
export function outputPipe(): [number, number] {
  const [read, write] = makePipe();
  try {
    setPipeSize(read, OUTPUT_PIPE_BYTES);
  } catch {
    // EPERM (above pipe-max-size, or the user's pipe quota spent): the default size works too
  }
  try {
    // Opening the pipe through /proc gives a new read-write description of it (close-on-exec).
    return [read, openSync(`/proc/self/fd/${write}`, constants.O_RDWR)];
  } catch (error) {
    closeSync(read);
    throw error;
  } finally {
    closeSync(write);
  }
}
