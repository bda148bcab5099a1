/**
 * Watches the configuration directory, and the directories of the
 * certificate files the configuration references, and calls `onChange` once
 * a burst of file events has been quiet for `debounceMs` (editors and
 * `cp` write a file in several steps; one reload per burst is enough).
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";

export interface ConfigWatcher {
  /** Re-targets the watched certificate files (after a reload changed them). */
  watchCertificates(paths: Iterable<string>): void;
  close(): void;
}

export interface WatchOptions {
  readonly dir: string;
  readonly certificatePaths: Iterable<string>;
  readonly debounceMs: number;
  readonly onChange: () => void;
  /** A watch that cannot be set up (directory gone, no inotify) is reported, not thrown. */
  readonly onError: (message: string) => void;
}

/** Editor swap and backup files are not configuration. */
function isNoise(fileName: string): boolean {
  return fileName.startsWith(".") || fileName.endsWith("~") || fileName.endsWith(".swp");
}

export function watchConfig(options: WatchOptions): ConfigWatcher {
  const configDir = resolve(options.dir);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) options.onChange();
    }, options.debounceMs);
  };

  const open = (dir: string, relevant: (fileName: string) => boolean): FSWatcher | undefined => {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, fileName) => {
        if (fileName === null || relevant(fileName.toString())) schedule();
      });
      watcher.on("error", (error) => options.onError(`watching ${dir}: ${error.message}`));
      return watcher;
    } catch (error) {
      options.onError(`watching ${dir}: ${(error as Error).message}`);
      return undefined;
    }
  };

  const configWatcher = open(configDir, (fileName) => !isNoise(fileName));
  let certificateWatchers: FSWatcher[] = [];

  const watchCertificates = (paths: Iterable<string>) => {
    for (const watcher of certificateWatchers) watcher.close();
    certificateWatchers = [];
    const namesByDir = new Map<string, Set<string>>();
    for (const path of paths) {
      const dir = dirname(resolve(configDir, path));
      if (dir === configDir) continue; // already watched, every file
      const names = namesByDir.get(dir) ?? new Set<string>();
      names.add(basename(path));
      namesByDir.set(dir, names);
    }
    for (const [dir, names] of namesByDir) {
      const watcher = open(dir, (fileName) => names.has(fileName));
      if (watcher) certificateWatchers.push(watcher);
    }
  };
  watchCertificates(options.certificatePaths);

  return {
    watchCertificates,
    close() {
      closed = true;
      clearTimeout(timer);
      configWatcher?.close();
      for (const watcher of certificateWatchers) watcher.close();
    },
  };
}
