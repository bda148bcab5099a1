/**
 * `synchronous=FULL` without blocking the event loop (group commit).
 *
 * In WAL mode SQLite's FULL is NORMAL plus one sync of the WAL file after
 * each COMMIT (SQLite's documentation of `PRAGMA synchronous`); NORMAL
 * already syncs around checkpoints. better-sqlite3 runs that sync inside
 * COMMIT, on the event loop: ~3.4 ms of wall time per write on this disk,
 * during which no other request progresses. So for a file store that asks
 * for FULL, the store runs SQLite in NORMAL and syncs the WAL itself
 * (`fdatasync`, on libuv's thread pool) before a transaction's promise
 * resolves: a write is answered only once its frames are on disk, as with
 * FULL. Commits made while a sync runs are covered together by the next one
 * (one sync for many requests); each request stays its own transaction.
 *
 * Reads wait too when a commit they may have seen is not yet synced, so no
 * answer reveals data that a power loss could still take back. `fdatasync`
 * is per file, not per descriptor: the store's own descriptor of the WAL
 * flushes the frames SQLite (or another worker process) wrote before the
 * sync started. SQLite deletes the WAL only when the last connection to the
 * database closes, never while this store's connection is open, so the
 * descriptor always names the live WAL; it is opened at the first sync
 * (when the directory is synced once as well, so the WAL's entry is on disk)
 * and closed with the store.
 *
 * Fail closed: a sync that fails leaves the file's state unknown (Linux may
 * drop the pages it could not write and report success to a later sync), so
 * from then on every `durable` call for a commit not covered by an earlier,
 * successful sync rejects — nothing is ever acknowledged on the word of a
 * sync that follows a failed one.
 */
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

/** Flushes a file's written data to the disk; tests put a held or failing sync in its place. */
export type SyncFile = (path: string) => Promise<void>;

export class WalSyncFailedError extends Error {
  constructor(readonly code: string | undefined) {
    super(`WAL sync failed${code === undefined ? "" : ` (${code})`}`);
    this.name = "WalSyncFailedError";
  }
}

export class WalSync {
  /** Commits made so far (numbered from 1). */
  private committed = 0;
  /** The last commit a completed sync covers. */
  private synced = 0;
  /** The sync under way (it covers the commits made before it started). */
  private running: Promise<void> | undefined;
  /** Set once a sync failed: nothing after it is acknowledged. */
  private failure: WalSyncFailedError | undefined;
  /** The WAL's descriptor, opened at the first sync (the real sync only). */
  private handle: Promise<FileHandle> | undefined;

  constructor(
    private readonly walPath: string,
    /** Replaces the real fdatasync (tests). */
    private readonly syncFile?: SyncFile,
  ) {}

  /** Call right after a COMMIT of this connection returned (or when another connection's commit became visible); returns the number for `durable`. */
  noteCommit(): number {
    return ++this.committed;
  }

  /** The number of the last commit noted (a read may have seen it). */
  lastCommit(): number {
    return this.committed;
  }

  /** Why syncing failed, once it did. */
  failed(): WalSyncFailedError | undefined {
    return this.failure;
  }

  /** Resolves once commit `commit` (and every earlier one) is on disk; rejects (WalSyncFailedError) when a sync failed before it was. */
  async durable(commit: number): Promise<void> {
    while (this.synced < commit) {
      if (this.failure !== undefined) throw this.failure;
      if (this.running !== undefined) {
        // A sync under way covers only the commits made before it started: wait for it, then look again.
        await this.running;
        continue;
      }
      const covers = this.committed;
      const run = this.syncWal().then(
        () => {
          if (this.failure === undefined) this.synced = Math.max(this.synced, covers);
        },
        (error: unknown) => {
          const code = (error as { code?: unknown } | null)?.code;
          this.failure ??= new WalSyncFailedError(typeof code === "string" ? code : undefined);
        },
      );
      this.running = run.then(() => {
        this.running = undefined;
      });
      await this.running;
    }
  }

  /** `fdatasync` of the WAL through the store's own descriptor (the directory synced once, when it is opened). */
  private async syncWal(): Promise<void> {
    if (this.syncFile !== undefined) return this.syncFile(this.walPath);
    if (this.handle === undefined) {
      this.handle = open(this.walPath, "r");
      await syncDirectory(dirname(this.walPath));
    }
    await (await this.handle).datasync();
  }

  /** Closes the WAL's descriptor (after the last `durable`). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await (await handle).close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
