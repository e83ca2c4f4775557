// Every child process the daemon spawns through libuv goes through here, so the reaper knows
// which pids are libuv's (reaping those behind its back would lose their `exit` events).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { reaper } from '../exit/reaper.js';

/**
 * child_process.spawn, with the pid left to libuv by the reaper until its `exit` event (libuv
 * reaps it then). Same arguments and errors as child_process.spawn.
 */
export function spawnTracked(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child = spawn(file, args, options);
  const pid = child.pid;
  if (pid !== undefined) {
    reaper.own(pid);
    child.once('exit', () => reaper.disown(pid));
  }
  return child;
}
