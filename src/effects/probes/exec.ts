// The exec readiness check: a command that exits 0.
import type { ChildProcess } from 'node:child_process';
import type { Command } from '../../core/spec.js';
import { spawnTracked } from '../spawn/children.js';
import { failureOf, settleOnce, type Attempt } from './attempt.js';

/** Where and with what environment an exec check runs (the service's own). */
export interface ExecContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Ready when `command` exits 0. It runs in a session of its own through spawnTracked (so the
 * orphan reaper leaves its status to libuv); at the time limit or abort its whole process group
 * gets SIGKILL, and the attempt settles once the command has exited, so attempts never overlap.
 */
export function execAttempt(command: Command, context: ExecContext): Attempt {
  const [file = '/bin/sh', ...args] =
    command.kind === 'shell' ? ['/bin/sh', '-c', command.script] : command.argv;
  return (timeoutMs, signal) =>
    settleOnce(timeoutMs, signal, (finish) => {
      let child: ChildProcess;
      let why: string | undefined;
      try {
        child = spawnTracked(file, args, { ...context, detached: true, stdio: 'ignore' });
      } catch (error) {
        queueMicrotask(() => finish(failureOf(error)));
        return () => undefined;
      }
      child.once('error', (e) => finish(`${failureOf(e)} (${file})`));
      child.once('exit', (code, sig) => {
        finish(why ?? (code === 0 ? true : code !== null ? `exit ${code}` : `${sig}`));
      });
      return (limit) => {
        why = limit;
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // not a group leader yet: the session is set up right after fork
        }
      };
    });
}
