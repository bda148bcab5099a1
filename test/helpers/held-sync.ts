/**
 * The WAL's real sync, held until the test releases it, or made to fail:
 * shows what waits for a commit to reach the disk (src/store/wal-sync.ts).
 * Only the sync is replaced; SQLite, the file and the store are real.
 */
import { open } from "node:fs/promises";

/** A real fsync of the file. */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export class HeldSync {
  /** The path of every sync asked for, in order. */
  readonly paths: string[] = [];
  private held: (() => void)[] = [];
  /** When set, released syncs fail with it instead of syncing. */
  failWith: (Error & { code?: string }) | undefined;
  /** While false, syncs go ahead at once (a gateway's start, say). */
  holding = true;

  readonly syncFile = (path: string): Promise<void> => {
    this.paths.push(path);
    if (!this.holding) return fsyncFile(path);
    return new Promise<void>((resolve, reject) => {
      this.held.push(() => (this.failWith ? reject(this.failWith) : fsyncFile(path).then(resolve, reject)));
    });
  };

  /** Syncs asked for and not yet released. */
  get waiting(): number {
    return this.held.length;
  }

  /** Lets every sync asked for so far go ahead (or fail, with `failWith`). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }
}

/** Lets every ready callback and I/O completion run (the store's transactions settle in between). */
export async function settle(turns = 20): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise and whether it has settled yet. */
export function tracked<T>(promise: Promise<T>): { promise: Promise<T>; done: () => boolean } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise, done: () => done };
}
