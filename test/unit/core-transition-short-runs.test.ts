// Runs shorter than `backoff.reset_after` count toward the start limit, so a crash loop that
// reaches `running` each time still ends in `failed`; a run that lasts `reset_after` resets the
// count. In virtual time: the pure transition function driven by a tiny runtime of timers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  newInstance,
  type Effect,
  type InstanceEvent,
  type InstanceModel,
  type TimerName,
} from '../../src/core/instance.js';
import { transition, type InstancePolicy } from '../../src/core/transition.js';
import { POLICY, T0 } from '../helpers/core-fixtures.js';

/** Backoff 100ms..1s, reset after 5s of running, start limit 3 in 60s, running after 500ms. */
const P: InstancePolicy = { ...POLICY, startLimit: { burst: 3, intervalMs: 60_000 } };

/**
 * A runtime over the pure function in virtual time: each spawn gets a process that lives
 * `lifeMs()` ms after its spawn (its life decided at the spawn), and timers fire in order.
 */
class Loop {
  model: InstanceModel;
  now = T0;
  readonly timers = new Map<TimerName, number>();
  readonly reasons: string[] = [];
  runs = 0;
  #pid = 100;
  #death: number | null = null;

  constructor(
    readonly policy: InstancePolicy,
    readonly lifeMs: (run: number) => number,
  ) {
    this.model = newInstance('web', 0, 1, T0);
  }

  send(event: InstanceEvent): void {
    const t = transition(this.model, event, this.now, this.policy);
    this.model = t.model;
    if (t.reason !== undefined) this.reasons.push(`${t.model.current.state}: ${t.reason}`);
    for (const e of t.effects) this.#do(e);
  }

  /** Moves to the next timer or death and applies it; false when nothing is pending. */
  next(): boolean {
    const timer = [...this.timers].sort((a, b) => a[1] - b[1])[0];
    if (this.#death !== null && (timer === undefined || this.#death <= timer[1])) {
      this.now = this.#death;
      this.#death = null;
      this.send({ type: 'exited', status: { code: 1 } });
      this.send({ type: 'tree-gone' });
      return true;
    }
    if (timer === undefined) return false;
    this.timers.delete(timer[0]);
    this.now = timer[1];
    this.send({ type: 'timer', timer: timer[0] });
    return true;
  }

  /** Runs until nothing is pending or `limit` steps were taken. */
  drain(limit = 1000): void {
    for (let i = 0; i < limit && this.next(); i++);
  }

  #do(e: Effect): void {
    if (e.kind === 'clear-timers') this.timers.clear();
    if (e.kind === 'set-timer') this.timers.set(e.timer, this.now + e.delayMs);
    if (e.kind === 'spawn') {
      this.send({ type: 'spawned', pid: ++this.#pid });
      this.#death = this.now + this.lifeMs(this.runs++);
    }
  }
}

void describe('a crash loop that reaches running each time', () => {
  void it('ends failed after start_limit.burst restarts when each run dies 1s after running', () => {
    // min_uptime 500ms, then 1s of running: well short of reset_after (5s).
    const loop = new Loop(P, () => 1500);
    loop.send({ type: 'start' });
    loop.drain();
    const s = loop.model.current;
    assert.equal(s.state, 'failed', loop.reasons.join('\n'));
    assert.deepEqual(s.state === 'failed' && s.reason, {
      kind: 'start-limit',
      failedStarts: 4,
      intervalMs: 60_000,
      last: 'exit 1',
    });
    assert.equal(loop.model.restarts, 3, 'burst (3) automatic restarts, then failed');
    assert.equal(loop.runs, 4);
    assert.ok(
      loop.reasons.filter((r) => r.startsWith('running:')).length === 4,
      'every run reached running',
    );
    assert.deepEqual(loop.model.lastExit, { code: 1 });
    assert.match(loop.reasons.at(-1) ?? '', /^failed: exit 1; start limit hit \(4 failed starts/);
  });

  void it('with min_uptime 0 ends failed too', () => {
    const loop = new Loop({ ...P, minUptimeMs: 0 }, () => 1000);
    loop.send({ type: 'start' });
    loop.drain();
    assert.equal(loop.model.current.state, 'failed');
    assert.equal(loop.model.restarts, 3);
  });

  void it('a watchdog kill before reset_after counts as well', () => {
    const p = { ...P, watchdogMs: 1000 };
    // Never pings and never exits by itself: the watchdog ends every run after 1s of running.
    const loop = new Loop(p, () => 1_000_000);
    loop.send({ type: 'start' });
    for (let i = 0; i < 1000 && loop.model.current.state !== 'failed'; i++) {
      if (loop.model.current.state === 'stopping' && loop.model.current.pid !== null) {
        loop.send({ type: 'exited', status: { signal: 'SIGABRT', coreDumped: true } });
        loop.send({ type: 'tree-gone' });
      } else if (!loop.next()) break;
    }
    assert.equal(loop.model.current.state, 'failed', loop.reasons.join('\n'));
    assert.equal(loop.model.restarts, 3);
  });

  void it('a run that lasts reset_after resets the count', () => {
    // Three short runs (the limit tolerates three), one of 6s running (longer than
    // reset_after 5s), then three more short runs are tolerated again; the fourth fails.
    const lives = [1500, 1500, 1500, 6500, 1500, 1500, 1500, 1500];
    const loop = new Loop(P, (run) => lives[run] ?? 1500);
    loop.send({ type: 'start' });
    loop.drain();
    assert.equal(loop.model.current.state, 'failed', loop.reasons.join('\n'));
    assert.equal(loop.runs, 8, 'the long run started the count over');
    assert.equal(loop.model.restarts, 7);
  });

  void it('an exit after exactly reset_after of running is not counted, even before the timer', () => {
    const m: InstanceModel = {
      ...newInstance('web', 0, 1, T0),
      current: { state: 'running', since: T0, pid: 42 },
      consecutiveFailures: 3,
      failedStarts: [T0 - 3, T0 - 2, T0 - 1],
    };
    let t = transition(m, { type: 'exited', status: { code: 1 } }, T0 + 5000, P);
    t = transition(t.model, { type: 'tree-gone' }, T0 + 5000, P);
    assert.equal(t.model.current.state, 'backoff');
    assert.deepEqual(t.model.failedStarts, []);
    assert.equal(t.model.consecutiveFailures, 1, 'the backoff starts over at initial');
    assert.deepEqual(t.effects[1], { kind: 'set-timer', timer: 'backoff', delayMs: 100 });
  });

  void it('an exit 1ms before reset_after is counted', () => {
    const m: InstanceModel = {
      ...newInstance('web', 0, 1, T0),
      current: { state: 'running', since: T0, pid: 42 },
      failedStarts: [T0 - 3, T0 - 2],
    };
    let t = transition(m, { type: 'exited', status: { code: 1 } }, T0 + 4999, P);
    t = transition(t.model, { type: 'tree-gone' }, T0 + 4999, P);
    assert.equal(t.model.current.state, 'backoff');
    assert.deepEqual(t.model.failedStarts, [T0 - 3, T0 - 2, T0 + 4999]);
  });
});

void describe('every crash loop ends (invariant)', () => {
  // Runs of every length short of reset_after, from a crash at the spawn to one 1ms before
  // reset_after of running, with min_uptime, without it, and with a readiness check.
  const ready: InstancePolicy['ready'] = {
    check: { kind: 'tcp', host: '127.0.0.1', port: 1 },
    timeoutMs: 3000,
    intervalMs: 100,
  };
  const policies: [string, InstancePolicy, number][] = [
    ['min_uptime 500ms', P, 500],
    ['min_uptime 0', { ...P, minUptimeMs: 0 }, 0],
    ['a ready check (never passes: not ready in time)', { ...P, ready }, 3000],
  ];
  for (const [kind, p, before] of policies) {
    void it(`${kind}: failed after burst + 1 runs, whatever their length`, () => {
      for (let life = 0; life < before + p.backoff.resetAfterMs; life += 250) {
        const loop = new Loop(p, () => life);
        loop.send({ type: 'start' });
        for (let i = 0; i < 1000 && loop.model.current.state !== 'failed'; i++) {
          // The ready check's timeout stops the instance: its process ends at once.
          if (loop.model.current.state === 'stopping' && loop.model.current.pid !== null) {
            loop.send({ type: 'exited', status: { signal: 'SIGTERM', coreDumped: false } });
            loop.send({ type: 'tree-gone' });
          } else if (!loop.next()) break;
        }
        assert.equal(loop.model.current.state, 'failed', `life ${life}ms`);
        assert.equal(loop.runs, p.startLimit.burst + 1, `life ${life}ms`);
      }
    });
  }
});
