/**
 * `synchronous=FULL` without blocking the event loop (group commit).
 *
 * In WAL mode SQLite's FULL is NORMAL plus one fsync of the WAL file after
 * each COMMIT (SQLite's documentation of `PRAGMA synchronous`); NORMAL
 * already syncs around checkpoints and when the WAL is reused. better-sqlite3
 * runs that fsync inside COMMIT, on the event loop: ~3.4 ms of wall time per
 * write here, during which no other request progresses. So the store runs
 * SQLite in NORMAL and syncs the WAL itself, on libuv's thread pool, before
 * a transaction's promise resolves: a write is answered only once its frames
 * are on disk, exactly as with FULL. Commits made while a sync runs are
 * covered together by the next one (one fsync for many requests), and each
 * request stays its own transaction, committed or rolled back alone.
 *
 * Reads wait too when a commit they may have seen is not yet synced, so no
 * answer reveals data that a power loss could still take back. fdatasync is
 * per file, not per descriptor: the store's own descriptor of the WAL
 * flushes the frames SQLite (or another worker process) wrote. SQLite deletes
 * the WAL only when the last connection to the database closes, never while
 * this store's connection is open, so the descriptor always names the live
 * WAL; it is opened at the first sync and closed with the store.
 */
import { close, fdatasync, open } from "node:fs";
import { promisify } from "node:util";

const openFile = promisify(open);
const syncData = promisify(fdatasync);
const closeFile = promisify(close);

/** Flushes a file's written data to the disk (tests replace the WAL's fdatasync with it). */
export type SyncFile = (path: string) => Promise<void>;

export class WalSync {
  /** Commits made so far (numbered from 1). */
  private committed = 0;
  /** The last commit a completed sync covers. */
  private synced = 0;
  /** The sync under way and the last commit it covers. */
  private running: { readonly covers: number; readonly done: Promise<void> } | undefined;

  /** The WAL's descriptor, opened at the first sync. */
  private descriptor: Promise<number> | undefined;

  constructor(
    private readonly walPath: string,
    private readonly syncFile?: SyncFile,
  ) {}

  /** Closes the WAL's descriptor (after the last `durable`). */
  async close(): Promise<void> {
    const descriptor = this.descriptor;
    this.descriptor = undefined;
    if (descriptor !== undefined) await closeFile(await descriptor);
  }

  private async syncWal(): Promise<void> {
    if (this.syncFile !== undefined) return this.syncFile(this.walPath);
    this.descriptor ??= openFile(this.walPath, "r");
    await syncData(await this.descriptor);
  }

  /** Call right after a COMMIT returned; returns the commit's number for `durable`. */
  noteCommit(): number {
    return ++this.committed;
  }

  /** The number of the last commit (a read may have seen it). */
  lastCommit(): number {
    return this.committed;
  }

  /** Resolves once commit `commit` (and every earlier one) is on disk; rejects when the sync fails. */
  async durable(commit: number): Promise<void> {
    while (this.synced < commit) {
      const running = this.running;
      if (running !== undefined) {
        // A sync under way covers only the commits made before it started; wait for it, then look again.
        await running.done;
        continue;
      }
      const covers = this.committed;
      const done = this.syncWal().then(
        () => {
          this.synced = Math.max(this.synced, covers);
        },
      ).finally(() => {
        this.running = undefined;
      });
      this.running = { covers, done };
      await done;
    }
  }
}
