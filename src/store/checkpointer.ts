/**
 * SQLite's WAL checkpoint off the event loop.
 *
 * SQLite checkpoints automatically inside the COMMIT that takes the WAL past
 * 1,000 pages: it copies the pages into the database file and, in NORMAL
 * (which the store runs under its own WAL sync, wal-sync.ts), syncs the WAL
 * before and the database file after — on the event loop, since
 * better-sqlite3 is synchronous. Measured here: 0.45–0.6 ms of each text
 * 100 KB write and 4–7 ms of each element 1 MB write (docs/performance.md,
 * "Sixth session"). So the store's connection turns the automatic
 * checkpoint off and this second connection, in a worker thread, runs the
 * same PASSIVE checkpoint once the WAL holds as many frames: the WAL-index
 * header in the `-shm` file (SQLite's documented WAL format) says how many
 * frames the WAL holds (`mxFrame`, offset 16) and how many are already in
 * the database (`nBackfill`, offset 96). A PASSIVE checkpoint never blocks
 * a writer or a reader; SQLite itself decides what may be copied.
 *
 * The store's thread reads that header itself after each write commit (one
 * `pread` of 100 bytes, ~1–2 µs) and wakes the worker only when a checkpoint
 * is due: a message to the worker and its answer after every commit cost the
 * process ~60 µs of the worker's CPU and more on the event loop per 6 KB
 * request (docs/performance.md, "Seventh session").
 *
 * If the worker fails, the store turns SQLite's own automatic checkpoint
 * back on (`onFailure`), so the WAL never grows without bound.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { endianness } from "node:os";
import { Worker } from "node:worker_threads";

/** SQLite's default `wal_autocheckpoint`: frames in the WAL that call for a checkpoint. */
export const CHECKPOINT_FRAMES = 1000;
/** The WAL-index header is in the machine's byte order. */
const BIG_ENDIAN = endianness() === "BE";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { openSync, readSync } = require("node:fs");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("synchronous = NORMAL");
const word = Buffer.alloc(4);
let shm;
function readWord(offset) {
  readSync(shm, word, 0, 4, offset);
  return workerData.bigEndian ? word.readUInt32BE(0) : word.readUInt32LE(0);
}
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  shm ??= openSync(workerData.path + "-shm", "r");
  if (readWord(16) - readWord(96) >= workerData.frames) db.pragma("wal_checkpoint(PASSIVE)");
  parentPort.postMessage("done");
});
`;

export class WalCheckpointer {
  private worker: Worker | undefined;
  private failed = false;
  /** A request for a look at the WAL is with the worker. */
  private busy = false;
  /** Commits were made while it was: look again when it answers. */
  private again = false;
  /** Looks the worker answered (tests). */
  looks = 0;
  /** The `-shm` file, opened at the first look; and the WAL-index header's first 100 bytes. */
  private shm: number | undefined;
  private readonly header = Buffer.alloc(100);

  constructor(
    private readonly path: string,
    /** Called once when the worker fails: the store turns SQLite's own checkpoint back on. */
    private readonly onFailure: () => void,
  ) {}

  /** Call after a write committed: when the WAL holds `CHECKPOINT_FRAMES` not yet in the database, the worker checkpoints it (one at a time). */
  nudge(): void {
    if (this.failed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    if (!this.due()) return;
    this.busy = true;
    this.start().postMessage("check");
  }

  /** Whether the WAL-index header says a checkpoint is due (`mxFrame` − `nBackfill`); true when it cannot be read (the worker then looks itself). */
  private due(): boolean {
    try {
      this.shm ??= openSync(`${this.path}-shm`, "r");
      if (readSync(this.shm, this.header, 0, 100, 0) < 100) return true;
    } catch {
      return true;
    }
    const word = (offset: number) => (BIG_ENDIAN ? this.header.readUInt32BE(offset) : this.header.readUInt32LE(offset));
    return word(16) - word(96) >= CHECKPOINT_FRAMES;
  }

  /** Closes the worker's connection (before the store closes its own, which then checkpoints and removes the WAL). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failed = true;
    if (this.shm !== undefined) closeSync(this.shm);
    this.shm = undefined;
    if (worker === undefined) return;
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.ref(); // held until it has closed its connection
      worker.postMessage("close");
    });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), path: this.path, frames: CHECKPOINT_FRAMES, bigEndian: BIG_ENDIAN },
    });
    worker.unref();
    worker.on("message", () => {
      this.looks++;
      this.busy = false;
      if (this.again) {
        this.again = false;
        this.nudge();
      }
    });
    const fail = () => {
      if (this.failed) return;
      this.failed = true;
      this.worker = undefined;
      this.onFailure();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    this.worker = worker;
    return worker;
  }
}
