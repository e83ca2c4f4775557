// For tests only: WARDEN_TEST_WITHOUT (in the daemon's environment) names helper programs the
// daemon acts as if were not installed, so that a machine that has them can run the start paths
// of one that has not: `warden-spawner` (no C compiler at build), `setpriv` (no util-linux).

/** A helper program WARDEN_TEST_WITHOUT can withhold. */
export type Helper = 'warden-spawner' | 'setpriv';

// Read once: the daemon's environment does not change.
const WITHHELD = new Set((process.env.WARDEN_TEST_WITHOUT ?? '').split(','));

/** True when WARDEN_TEST_WITHOUT (a comma-separated list) names `helper`. */
export function isWithheld(helper: Helper): boolean {
  return WITHHELD.has(helper);
}
