// A main process as a runner sees it, without a process: output streams, an `exit` the test emits.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { SignalName } from '../../src/core/signals.js';

/** A fake ServiceProcess: stdout and stderr streams, and `die` to end it as the reaper would. */
export class FakeChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdio = [undefined, this.stdout, this.stderr];
  constructor(readonly pid: number) {
    super();
  }
  /** The main process ends, as the reaper reports it. */
  die(code: number | null, signal: SignalName | null = null, coreDumped = false): void {
    this.emit('exit', signal === null ? { code: code ?? 0 } : { signal, coreDumped });
  }
  unref(): void {}
}
