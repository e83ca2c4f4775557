// N services of one supervisor. Each service is `sleep`, started through bash, which first
// appends "PID START" to a stamps file (START in ms since the epoch, from $EPOCHREALTIME: no fork,
// to the microsecond): what the supervisor did is seen from the services' side, the same way for
// both contenders, without asking either.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTimed } from './command.js';
import type { Contender } from './contenders.js';
import { isLive, nowMs, ownProcesses, statOf, waitFor, type Started } from './procs.js';

/** One start of a service, from the stamps file. */
export interface Stamp {
  pid: number;
  /** ms since the epoch. */
  at: number;
}

/** What `up` took, in ms from the command's start. */
export interface UpTimes {
  /** Until the last service had started. */
  spawnedMs: number;
  /** Until the command returned: every service `running` (warden) or `online` (PM2). */
  runningMs: number;
}

/** What `down` took, in ms from the command's start. */
export interface DownTimes {
  /** Until no service process was left (dead, or a zombie not yet reaped). */
  goneMs: number;
  /** Until the command returned. */
  commandMs: number;
}

export class Fleet {
  readonly stamps: string;
  readonly #started: Started;

  constructor(
    readonly contender: Contender,
    readonly count: number,
    started: Started,
  ) {
    this.stamps = join(contender.dir, 'stamps');
    this.#started = started;
    const record = `echo "$$ $EPOCHREALTIME" >> '${this.stamps}'; exec sleep 2147483647`;
    contender.writeConfig(count, ['/bin/bash', '-c', record]);
  }

  /** Every start so far, oldest first. */
  readStamps(): Stamp[] {
    let text: string;
    try {
      text = readFileSync(this.stamps, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [pid = '', at = ''] = l.split(' ');
        return { pid: Number(pid), at: Number(at.replace(',', '.')) * 1000 };
      });
  }

  /** The daemon's pid. @throws when it does not run */
  daemon(): number {
    const pid = this.contender.daemonPid();
    if (pid === undefined) throw new Error(`${this.contender.name}: no daemon pid`);
    return pid;
  }

  /** The services' live processes. */
  services(): number[] {
    return this.readStamps()
      .map((s) => s.pid)
      .filter((pid) => {
        const s = statOf(pid);
        return s !== undefined && s.state !== 'Z';
      });
  }

  /** The supervisor's own processes (daemon and helpers, services excluded). */
  own(): number[] {
    return ownProcesses(this.daemon(), new Set(this.services()));
  }

  /** Starts the supervisor and every service, cold (no daemon yet). */
  async up(): Promise<UpTimes> {
    const start = nowMs();
    const ran = await runTimed(this.contender.up, {
      env: this.contender.env,
      cwd: this.contender.dir,
    });
    this.#started.add(this.daemon());
    const stamps = await waitFor(
      `${this.count} ${this.contender.name} services`,
      () => {
        const s = this.readStamps();
        return s.length >= this.count ? s : undefined;
      },
      60_000,
      10,
    );
    for (const s of stamps) this.#started.add(s.pid);
    return { spawnedMs: Math.max(...stamps.map((s) => s.at)) - start, runningMs: ran.ms };
  }

  /** Stops every service and the daemon, and times it. */
  async down(): Promise<DownTimes> {
    const live = this.services().flatMap((pid) => {
      const s = statOf(pid);
      return s === undefined ? [] : [{ pid, startTime: s.startTime }];
    });
    const start = performance.now();
    const timeoutMs = this.#downTimeoutMs();
    const command = runTimed(this.contender.down, { env: this.contender.env, timeoutMs });
    let failure: Error | undefined;
    command.catch((error: Error) => (failure = error));
    // One read per poll while the first still lives: a dead service never comes back.
    let first = 0;
    const goneMs = await waitFor(
      `the ${this.contender.name} services to be gone`,
      () => {
        if (failure !== undefined) throw failure;
        for (let p = live[first]; p !== undefined && !isLive(p.pid, p.startTime); p = live[first])
          first++;
        return first === live.length ? performance.now() - start : undefined;
      },
      timeoutMs,
      1,
    );
    const ran = await command;
    return { goneMs, commandMs: ran.ms };
  }

  /**
   * Ends the daemon and every service by pid, without asking the supervisor: a teardown that is
   * not measured (PM2 stops 1000 services two at a time, in minutes on a loaded machine).
   */
  kill(): void {
    for (const pid of [...this.own(), ...this.services()]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }

  // PM2 needs ~0.1 s per service to stop on a quiet machine; leave room for a loaded one.
  #downTimeoutMs(): number {
    return 120_000 + 500 * this.count;
  }

  /** Stops the supervisor if it still runs (cleanup after a failure); never throws. */
  async ensureDown(): Promise<void> {
    const pid = this.contender.daemonPid();
    const s = pid === undefined ? undefined : statOf(pid);
    if (pid === undefined || s === undefined || !isLive(pid, s.startTime)) return;
    const timeoutMs = this.#downTimeoutMs();
    await runTimed(this.contender.down, { env: this.contender.env, timeoutMs }).catch(
      () => undefined,
    );
  }
}
