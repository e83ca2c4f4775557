// The `kill` event: a stop of everything ran past the daemon's `shutdown_timeout`
// (docs/config/shutdown_timeout.md), so every instance still alive gets SIGKILL now instead of
// its stop signal and stop_timeout; it then ends `stopped` as after a user's stop, its tree
// still awaited.
import type { InstanceModel, InstanceState, Transition } from './instance.js';
import { assertNever } from './policy.js';
import { move, unchanged } from './transition-steps.js';

/**
 * The `kill` event: stop at once. `graceMs`: how long to wait for the tree after SIGKILL
 * before giving up on it (KILL_GRACE_MS), as after a stop_timeout.
 */
export function onKill(m: InstanceModel, now: number, graceMs: number): Transition {
  const s = m.current;
  const why = 'killed (shutdown_timeout): SIGKILL';
  switch (s.state) {
    case 'starting':
    case 'running':
    case 'stopping': {
      if (s.pid === null && s.state === 'starting') {
        return move(m, { state: 'stopped', since: now, reason: 'stopped by user' }, [], why);
      }
      if (s.state === 'stopping' && s.killSent) {
        return unchanged({ ...m, current: { ...s, intent: { kind: 'stop' } } });
      }
      const current: InstanceState = {
        state: 'stopping',
        since: s.state === 'stopping' ? s.since : now,
        pid: s.pid,
        intent: { kind: 'stop' },
        killSent: true,
      };
      const effects: Transition['effects'] = [
        { kind: 'signal-tree', signal: 'SIGKILL' },
        { kind: 'set-timer', timer: 'kill', delayMs: graceMs },
      ];
      // Still `stopping`: its tree watch goes on, only the timer is replaced.
      if (s.state === 'stopping') return { model: { ...m, current }, effects, reason: why };
      return move(m, current, effects, why);
    }
    case 'backoff':
    case 'failed':
    case 'exited':
      return move(m, { state: 'stopped', since: now, reason: 'stopped by user' }, [], why);
    case 'stopped':
      return unchanged(m);
    default:
      return assertNever(s);
  }
}
