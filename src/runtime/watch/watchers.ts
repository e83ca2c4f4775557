// The `watch`es of all services of a supervisor, kept in step with the config applied. Loaded
// by the supervisor only once a config has a `watch` (docs/config/watch.md).
import type { ServiceSpec, WatchSpec } from '../../config/types.js';
import type { WatchStatus } from '../../core/watch.js';
import { ServiceWatch, type WatchHost } from './service-watch.js';

export type { WatchHost } from './service-watch.js';

/** One ServiceWatch per service with `watch`. */
export class Watchers {
  readonly #host: WatchHost;
  readonly #byService = new Map<string, ServiceWatch>();

  constructor(host: WatchHost) {
    this.#host = host;
  }

  /**
   * Watches what `specs` say: a new or changed `watch` begins (its initial scan awaited), a
   * removed one ends, an unchanged one keeps its state and takes the new definition.
   */
  async sync(specs: readonly ServiceSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    const ends: Promise<void>[] = [];
    for (const [name, w] of this.#byService) {
      const spec = wanted.get(name);
      if (spec?.watch != null && sameWatch(spec.watch, w.watch)) continue;
      this.#byService.delete(name);
      ends.push(w.close());
    }
    const opens: Promise<void>[] = [];
    for (const spec of specs) {
      const kept = this.#byService.get(spec.name);
      if (kept !== undefined) kept.useSpec(spec);
      else if (spec.watch !== null) {
        const w = new ServiceWatch({ ...spec, watch: spec.watch }, this.#host);
        this.#byService.set(spec.name, w);
        opens.push(w.open());
      }
    }
    await Promise.all([...ends, ...opens]);
  }

  /** The watch status of `service`; null without `watch`. */
  status(service: string): WatchStatus | null {
    return this.#byService.get(service)?.status() ?? null;
  }

  /** Stops every watch (the daemon is shutting down). */
  async close(): Promise<void> {
    const all = [...this.#byService.values()];
    this.#byService.clear();
    await Promise.all(all.map((w) => w.close()));
  }
}

function sameWatch(a: WatchSpec, b: WatchSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
