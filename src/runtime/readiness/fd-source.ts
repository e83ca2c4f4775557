// s6-style readiness (s6-supervise(8), notification-fd): the instance gets a pipe at fd N and
// is ready once it writes a newline there.
import type { Readable } from 'node:stream';
import type { ReadinessHooks, ReadinessProbe } from './types.js';

/**
 * A probe that asks for a pipe at `fd` (`NOTIFICATION_FD=fd` in the environment) and calls
 * `hooks.ready('fd')` at the first newline read from it. Later output on the fd is read and
 * dropped (so a second write never meets EPIPE); the pipe is closed at `stop()`.
 */
export function fdSource(fd: number, hooks: ReadinessHooks): ReadinessProbe {
  let stream: Readable | undefined;

  const drop = (): void => {
    stream?.removeAllListeners('data').removeAllListeners('end');
    stream?.destroy();
    stream = undefined;
  };

  return {
    extras: () => ({ env: { NOTIFICATION_FD: String(fd) }, pipes: [fd] }),
    started(child) {
      drop();
      if (child === undefined) {
        return hooks.log(
          `ready fd ${fd}: adopted while starting; its pipe went with the old daemon`,
        );
      }
      const pipe = child.stdio[fd] as Readable | null | undefined;
      if (pipe === null || pipe === undefined) {
        return hooks.log(`ready fd ${fd}: the instance has no pipe at fd ${fd}`);
      }
      stream = pipe;
      let isReady = false;
      pipe.on('error', () => undefined); // EOF or EPIPE: the instance is gone, its exit says why
      pipe.on('data', (chunk: Buffer) => {
        if (isReady || !chunk.includes(0x0a)) return;
        isReady = true;
        hooks.ready('fd');
      });
      pipe.once('end', () => {
        if (!isReady) hooks.log(`ready fd ${fd}: closed without a newline`);
      });
    },
    line: () => undefined,
    stop: drop,
    close: drop,
  };
}
