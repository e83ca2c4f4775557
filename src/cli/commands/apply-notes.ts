// What `up` and `reload` say about the parts of a config change they did not (fully) apply.
import { print } from '../output.js';

/** What the daemon's `up` and `reload` answer. */
export interface UpResult {
  started: string[];
  changed: string[];
  rescaled: string[];
  removed: string[];
}

/** Prints what a config change did not (fully) apply. */
export function printApplyNotes(r: Omit<UpResult, 'started'>): void {
  if (r.changed.length > 0) {
    print(
      `warden: changed: ${r.changed.join(', ')}; restart, backoff, limits and stop settings apply now; command, cwd and env at each instance's next start ("warden restart" to apply them now)`,
    );
  }
  if (r.rescaled.length > 0) {
    print(
      `warden: instance count changed: ${r.rescaled.join(', ')}; not applied by this version ("warden down" then "up")`,
    );
  }
  if (r.removed.length > 0) {
    print(`warden: no longer in the config, left as they are: ${r.removed.join(', ')}`);
  }
}
