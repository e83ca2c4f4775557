// Signalling a whole tree without signalling anyone twice: the last tree-wide signal is kept,
// and processes that appear later (forked after it) get it once in a sweep.
import type { SignalName } from '../../core/signals.js';
import { signalProcess, type ProcInfo } from './proc.js';

/** Which processes of one tree got its last tree-wide signal. */
export class SignalLedger {
  #last: SignalName | undefined;
  readonly #signalled = new Set<string>();

  /** Forgets everything (a new main process was attached). */
  reset(): void {
    this.#last = undefined;
    this.#signalled.clear();
  }

  /** Sends `signal` to every one of `members`. @returns true when some process got it */
  signalAll(signal: SignalName, members: readonly ProcInfo[]): boolean {
    this.#last = signal;
    let any = false;
    for (const p of members) {
      this.#signalled.add(`${p.pid}:${p.startTime}`);
      if (signalProcess(p.pid, p.startTime, signal)) any = true;
    }
    return any;
  }

  /** Sends the last signal to those of `members` that have not had it. */
  sweep(members: readonly ProcInfo[]): void {
    const signal = this.#last;
    if (signal === undefined) return;
    for (const p of members) {
      const key = `${p.pid}:${p.startTime}`;
      if (this.#signalled.has(key)) continue;
      this.#signalled.add(key);
      signalProcess(p.pid, p.startTime, signal);
    }
  }
}
