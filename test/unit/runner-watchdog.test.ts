// The watchdog deadline as the Runner judges it, in virtual time: pings still queued count (the
// probe is drained first), and a deadline that fires a period late (a stalled daemon) grants a
// fresh period instead of a kill; a service silent after that is still killed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SignalName } from '../../src/core/signals.js';
import { lineSink } from '../../src/logs/service-log.js';
import type { ReadinessHooks } from '../../src/runtime/readiness/types.js';
import { Runner } from '../../src/runtime/runner/runner.js';
import { fakeTree, makeSpec } from '../helpers/core-fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeChild } from '../helpers/fake-child.js';

const WATCHDOG_MS = 1000;

// A running instance with `ready: notify` and a 1s watchdog; `queued` pings wait in the probe
// (as datagrams in the notify socket) until the runner drains it.
function setup() {
  const clock = new FakeClock();
  const signals: SignalName[] = [];
  const reasons: string[] = [];
  let hooks: ReadinessHooks | undefined;
  const probe = { queued: 0, drains: 0 };
  const runner = new Runner({
    spec: makeSpec({
      ready: { check: { kind: 'notify' }, timeoutMs: 5000, intervalMs: 100 },
      watchdogMs: WATCHDOG_MS,
    }),
    index: 0,
    clock,
    baseEnv: {},
    processes: {
      spawn: () => new FakeChild(4242),
      tree: () =>
        fakeTree({ signal: (signal) => (signals.push(signal), true), contains: () => true }),
    },
    sink: lineSink(
      () => undefined,
      () => clock.now(),
    ),
    probes: (_spec, _name, h) => {
      hooks = h;
      return {
        extras: () => ({ env: {}, pipes: [] }),
        started: () => undefined,
        line: () => undefined,
        stop: () => undefined,
        close: () => undefined,
        drain: () => {
          probe.drains++;
          for (; probe.queued > 0; probe.queued--) h.watchdog();
        },
      };
    },
    onTransition: (_r, _from, reason) => reasons.push(reason),
    onError: () => undefined,
  });
  runner.dispatch({ type: 'start' });
  assert.ok(hooks);
  hooks.ready('notify');
  assert.equal(runner.model.current.state, 'running');
  const ping = (): void => hooks?.watchdog();
  return { runner, clock, signals, reasons, probe, ping };
}

void describe('Runner: watchdog deadlines', () => {
  void it('pings that arrived but were not handled yet keep the instance', () => {
    const h = setup();
    h.clock.advance(WATCHDOG_MS - 100);
    h.probe.queued = 3; // sent on time, still in the socket when the deadline comes
    h.clock.advance(100);
    assert.equal(h.probe.drains, 1);
    assert.equal(h.runner.model.current.state, 'running');
    assert.deepEqual(h.signals, []);
    // Silent from now on: killed one period later.
    h.clock.advance(WATCHDOG_MS);
    assert.equal(h.runner.model.current.state, 'stopping');
    assert.deepEqual(h.signals[0], 'SIGABRT');
  });

  void it('a stalled daemon grants a fresh period; a real silence after it is killed', () => {
    const h = setup();
    h.clock.advance(500);
    h.ping();
    h.clock.stall(15_000); // SIGSTOP for 15 s: no timer fires
    h.clock.advance(0); // SIGCONT: the deadline (at 1.5 s) fires 14 s late, no ping queued
    assert.equal(h.runner.model.current.state, 'running');
    assert.match(h.reasons.at(-1) ?? '', /daemon stalled 14000ms past the watchdog deadline/);
    assert.deepEqual(h.signals, []);
    h.clock.advance(WATCHDOG_MS - 1);
    assert.equal(h.runner.model.current.state, 'running');
    h.clock.advance(1);
    assert.equal(h.runner.model.current.state, 'stopping');
    assert.deepEqual(h.signals[0], 'SIGABRT');
  });

  void it('a deadline late by less than a period still kills a silent instance', () => {
    const h = setup();
    h.clock.advance(WATCHDOG_MS - 1);
    h.clock.stall(WATCHDOG_MS - 2);
    h.clock.advance(1);
    assert.equal(h.runner.model.current.state, 'stopping');
  });
});
