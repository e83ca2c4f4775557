// Watching files for changes (config `watch`; docs/config/watch.md), through chokidar: on Linux
// one inotify watch per directory (fs.watch), recursive, with what `isIgnored` rejects never
// descended into. chokidar is loaded on the first watch: a daemon without `watch` never loads it.
import type { FSWatcher } from 'chokidar';

/** A running watch; close it to stop. */
export interface FileWatch {
  /** Stops watching and frees its inotify watches. */
  close(): Promise<void>;
}

/** What a watch reports to. */
export interface FileWatchHooks {
  /** A file or directory at `path` (absolute) was added, changed or removed. */
  onChange(path: string): void;
  /** A watch error (ENOSPC: out of inotify watches, EACCES...), worded for the daemon log. */
  onError(message: string): void;
}

/**
 * Watches `paths` (files or directories, recursively; absolute) for changes, leaving out what
 * `isIgnored(path)` accepts (its subtree too, for a directory). A path that does not exist yet
 * is watched for its creation. Resolves once the initial scan is done: a change after that is
 * reported. @throws nothing: errors go to `hooks.onError`
 */
export async function watchFiles(
  paths: readonly string[],
  isIgnored: (path: string) => boolean,
  hooks: FileWatchHooks,
): Promise<FileWatch> {
  const { watch } = await import('chokidar');
  const watcher: FSWatcher = watch([...paths], {
    ignoreInitial: true,
    ignored: (path) => isIgnored(path),
    persistent: true,
  });
  watcher.on('all', (_event, path) => hooks.onChange(path));
  watcher.on('error', (error) => hooks.onError(describe(error)));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return { close: () => watcher.close() };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ENOSPC') {
    return `${message} (out of inotify watches: raise fs.inotify.max_user_watches, or watch fewer paths)`;
  }
  return message;
}
