// How a client tells a daemon that works on a long request from one that does not answer at
// all: while a request waits, a silence of a third of the timeout sends a `hello`, and a silence
// of the whole timeout gives up.

/** What watchSilence acts on. */
export interface SilenceHooks {
  /** True while a request waits for its answer. */
  isWaiting(): boolean;
  /** Sends a request the daemon answers at once (`hello`). */
  ping(): void;
  /** The daemon was silent for the whole timeout while a request waited. */
  expire(): void;
}

/** The watch of one connection. */
export interface SilenceWatch {
  /** The daemon said something (call after handling it), or a wait begins: silence starts anew. */
  heard(): void;
  stop(): void;
}

/** Watches a connection for `timeoutMs` (ms) of silence while a request waits. */
export function watchSilence(timeoutMs: number, hooks: SilenceHooks): SilenceWatch {
  let last = Date.now();
  let pinged = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const at = last + (pinged ? timeoutMs : Math.floor(timeoutMs / 3));
    timer = setTimeout(wake, Math.max(0, at - Date.now()));
  };
  const wake = (): void => {
    timer = undefined;
    if (!hooks.isWaiting()) return;
    const silent = Date.now() - last;
    if (silent >= timeoutMs) return hooks.expire();
    if (!pinged && silent >= timeoutMs / 3) {
      pinged = true;
      hooks.ping();
    }
    arm();
  };
  return {
    heard() {
      last = Date.now();
      pinged = false;
      // Idle (answers all in, or an event stream): no timer holds the process.
      if (!hooks.isWaiting()) {
        clearTimeout(timer);
        timer = undefined;
      } else if (timer === undefined) arm();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
