// The `watch` of a service as `status --json` shows it on each of its instances
// (docs/config/watch.md). The runtime keeps it; the core only names its shape.

/** Restarts for changed files of one service: under way or not, and whether the last took. */
export interface WatchStatus {
  /** A restart for changed files is under way, or waits for the burst to end (debounce). */
  applying: boolean;
  /** When the last change was seen (ms since the epoch); null: none since the daemon started. */
  lastChangeAt: number | null;
  /** Why the last change was not applied (`new instance failed (exit 1)`); null: it was, or none. */
  notApplied: string | null;
}
