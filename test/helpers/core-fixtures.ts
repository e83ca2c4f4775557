// Shared fixtures of the core and runner unit tests: one policy, a time origin, sample states.
import { NO_LIMITS } from '../../src/config/limits.js';
import { DAEMON_PRIVILEGES, type ServiceSpec } from '../../src/config/types.js';
import {
  newInstance,
  type InstanceEvent,
  type InstanceModel,
  type InstanceState,
  type Transition,
} from '../../src/core/instance.js';
import { transition, type InstancePolicy } from '../../src/core/transition.js';
import type { InstanceTree } from '../../src/effects/containment/containment.js';

/** The policy most tests use: always restart, 100ms..1s backoff, 3 failed starts in 10s. */
export const POLICY: InstancePolicy = {
  kind: 'service',
  onExit: 'continue',
  restart: 'always',
  backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 5000 },
  startLimit: { burst: 3, intervalMs: 10_000 },
  minUptimeMs: 500,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 2000,
  ready: null,
  watchdogMs: null,
  runtimeMaxMs: null,
  health: null,
};

/** The time origin of the tests (ms). */
export const T0 = 1_000_000;
/** The time events of a single-step test happen at. */
export const NOW = T0 + 7;

/** A full ServiceSpec around POLICY, with `over` applied. */
export function makeSpec(over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web',
    command: { kind: 'argv', argv: ['/usr/bin/app', '--port', '80'] },
    cwd: '/srv/web',
    env: { MODE: 'test' },
    instances: 1,
    ...POLICY,
    logs: {
      maxBytes: 10 * 1024 * 1024,
      keep: 5,
      compress: false,
      format: 'text',
      time: 'utc',
      maxLineBytes: 16384,
    },
    dependsOn: [],
    privileges: DAEMON_PRIVILEGES,
    limits: NO_LIMITS,
    listen: [],
    watch: null,
    schedule: null,
    ...over,
  };
}

/** An instance in `current` with some history, so counter resets are visible. */
export function modelWithHistory(
  current: InstanceState,
  extra: Partial<InstanceModel> = {},
): InstanceModel {
  return {
    ...newInstance('web', 0, 1, 0),
    current,
    restarts: 4,
    consecutiveFailures: 3,
    failedStarts: [T0 - 10, T0 - 5],
    lastExit: { code: 1 },
    ...extra,
  };
}

/** One transition at NOW. */
export function step(
  m: InstanceModel,
  event: InstanceEvent,
  p: InstancePolicy = POLICY,
): Transition {
  return transition(m, event, NOW, p);
}

type Of<K extends InstanceState['state']> = Extract<InstanceState, { state: K }>;

/** Sample states, one of each kind (pid 42 where there is one). */
export const stopped: Of<'stopped'> = { state: 'stopped', since: T0, reason: 'never started' };
export const starting: Of<'starting'> & { pid: number } = { state: 'starting', since: T0, pid: 42 };
export const startingNoPid: Of<'starting'> & { pid: null } = {
  state: 'starting',
  since: T0,
  pid: null,
};
export const running: Of<'running'> = { state: 'running', since: T0, pid: 42 };
export const backoff: Of<'backoff'> = {
  state: 'backoff',
  since: T0,
  restartAt: T0 + 100,
  attempt: 5,
};
export const failed: Of<'failed'> = {
  state: 'failed',
  since: T0,
  reason: { kind: 'start-limit', failedStarts: 4, intervalMs: 10_000, last: 'exit 1' },
};
export const exited: Of<'exited'> = { state: 'exited', since: T0 };

/** A `stopping` state with `intent`. */
export function stopping(
  intent: Extract<InstanceState, { state: 'stopping' }>['intent'],
  pid: number | null = 42,
  killSent = false,
): InstanceState {
  return { state: 'stopping', since: T0, pid, intent, killSent };
}

/** A process tree for runner tests: empty as soon as asked, holding nothing; `over` replaces parts. */
export function fakeTree(over: Partial<InstanceTree> = {}): InstanceTree {
  return {
    prepare: (req) => req,
    attach: () => undefined,
    signal: () => true,
    sweep: () => undefined,
    isEmpty: () => true,
    members: () => [],
    contains: () => false,
    stats: () => undefined,
    release: () => undefined,
    identity: () => undefined,
    adopt: () => false,
    ...over,
  };
}
