// Every child process the daemon spawns goes through here, so the orphan reaper knows which pids
// belong to libuv (reaping those behind its back would lose their `exit` events).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const owned = new Set<number>();

/** True while `pid` is a child spawned through `spawnTracked` that libuv has not reaped yet. */
export function isOwnedChild(pid: number): boolean {
  return owned.has(pid);
}

/**
 * child_process.spawn, recording the pid until its `exit` event (libuv reaps it then).
 * Same arguments and errors as child_process.spawn.
 */
export function spawnTracked(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child = spawn(file, args, options);
  const pid = child.pid;
  if (pid !== undefined) {
    owned.add(pid);
    child.once('exit', () => owned.delete(pid));
  }
  return child;
}
