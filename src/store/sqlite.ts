/**
 * The embedded store: one better-sqlite3 connection in WAL mode. The driver
 * is synchronous but the Store interface is async, so an async mutex keeps
 * two requests' transactions from interleaving on the one connection.
 * Statements are prepared once per SQL text (StatementCache); a batch of
 * records is inserted by one single-record INSERT run once per record, which
 * measured as fast as multi-record INSERTs of 8 to 3,640 rows (docs/performance.md).
 * A file store with `synchronous=full` (the default) syncs its WAL itself,
 * off the event loop and shared by the commits made meanwhile (wal-sync.ts).
 */
import Database from "better-sqlite3";
import { DependencyUnavailableError } from "../dependency.js";
import type { ColumnType, TableDef } from "../config/types.js";
import { AsyncMutex } from "./mutex.js";
import { StatementCache } from "./statement-cache.js";
import { WalSync, WalSyncFailedError, type SyncFile } from "./wal-sync.js";
import { CHECKPOINT_FRAMES, WalCheckpointer } from "./checkpointer.js";
import {
  addColumnSql,
  aggregateSql,
  countSql,
  createTableSql,
  decodeAggregateRow,
  decodeRow,
  deleteSql,
  batchColumnTypes,
  encodeBatchValues,
  insertRowsSql,
  insertSql,
  quoteIdentifier,
  selectSql,
  updateSql,
  type SqlDialect,
  type SqlStatement,
} from "./sql.js";
import {
  tableColumns,
  type AggregateQuery,
  type AggregateRow,
  type Filter,
  type PresentValue,
  type RecordBatch,
  type Row,
  type SelectQuery,
  type Store,
  type StoreTransaction,
  type StoredValue,
  type TransactionOptions,
} from "./types.js";

const BUSY_TIMEOUT_MS = 5000;
/**
 * Waits between attempts at the write lock while another process (a worker
 * of `serve --workers N`) holds it: SQLite's own busy handler's steps, in
 * milliseconds, the last one repeated, within BUSY_TIMEOUT_MS. SQLite's
 * handler sleeps on the calling thread (the event loop); these are timers.
 */
const WRITE_LOCK_RETRY_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
/** Prepared statements kept per connection (each distinct SQL text is one). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * SQLite result codes of a database that cannot serve now (locked by another
 * process beyond busy_timeout, disk full or failing, file gone): the request
 * gets 503, not 500. Their extended codes (SQLITE_IOERR_WRITE…) start the same.
 */
const UNAVAILABLE_CODES = ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_NOMEM", "SQLITE_READONLY"];

function classify(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) return new DependencyUnavailableError("store", code);
  return error;
}

/** SQLite's `PRAGMA synchronous` levels that keep WAL durable across process crashes. */
export type SqliteSynchronous = "full" | "normal" | "extra";

export interface SqliteOpenOptions {
  readonly synchronous?: SqliteSynchronous;
  /** Replaces the fdatasync of the WAL that keeps `full` (tests: a sync held, or failing). */
  readonly syncFile?: SyncFile;
}

const SQLITE_COLUMN_TYPES: Record<ColumnType, string> = {
  string: "TEXT",
  integer: "INTEGER",
  decimal: "REAL",
  boolean: "INTEGER",
  datetime: "TEXT",
};

export const sqliteDialect: SqlDialect = {
  placeholder: () => "?",
  caseInsensitiveLike: "LIKE",
  columnType: (type) => SQLITE_COLUMN_TYPES[type],
  encode(_type: ColumnType, value: PresentValue): unknown {
    if (typeof value === "boolean") return value ? 1 : 0;
    return value;
  },
  decode(type: ColumnType, raw: unknown): StoredValue {
    if (raw === null || raw === undefined) return null;
    switch (type) {
      case "boolean":
        return Number(raw) !== 0;
      case "integer":
      case "decimal":
        return Number(raw);
      case "string":
      case "datetime":
        return String(raw);
      default: {
        const unreachable: never = type;
        throw new Error(`unknown column type ${String(unreachable)}`);
      }
    }
  },
};

export class SqliteStore implements Store {
  private readonly mutex = new AsyncMutex();
  private readonly statements: StatementCache<Database.Statement>;
  /** Transaction control, prepared once (exec would compile it on every request). */
  private readonly control: Readonly<Record<"beginImmediate" | "beginDeferred" | "commit" | "rollback", Database.Statement>>;
  private closed = false;
  /** `PRAGMA data_version`, prepared once: it changes when another connection (another worker) commits. */
  private readonly dataVersion: Database.Statement;
  /** Its value at the last look (see `readCommit`). */
  private seenDataVersion: unknown;
  /** With the store's own WAL sync: SQLite's checkpoint, run by a second connection in a worker thread (checkpointer.ts). */
  private readonly checkpointer: WalCheckpointer | undefined;

  private constructor(
    private readonly db: Database.Database,
    /** Set when FULL is kept by the store's own WAL sync (a file database): see wal-sync.ts. */
    private readonly walSync: WalSync | undefined,
  ) {
    this.statements = new StatementCache((text) => db.prepare(text), STATEMENT_CACHE_SIZE);
    this.control = {
      beginImmediate: db.prepare("BEGIN IMMEDIATE"),
      beginDeferred: db.prepare("BEGIN DEFERRED"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
    };
    this.dataVersion = db.prepare("PRAGMA data_version").pluck();
    this.seenDataVersion = this.dataVersion.get();
    if (walSync !== undefined) {
      db.pragma("wal_autocheckpoint = 0");
      this.checkpointer = new WalCheckpointer(db.name, () => {
        if (db.open) db.pragma(`wal_autocheckpoint = ${CHECKPOINT_FRAMES}`);
      });
    }
  }

  /**
   * Opens (creating if needed) the database file at `path`, or `:memory:`.
   * `synchronous` defaults to FULL: each write is answered only once the WAL
   * holding its commit is on disk, so an acknowledged write survives a power
   * loss. For a file, FULL is SQLite's NORMAL plus the store's own sync of
   * the WAL after commits, off the event loop and shared by the commits made
   * meanwhile (wal-sync.ts). NORMAL syncs only at checkpoints (faster, but
   * the last commits can be lost on power failure — never on a process
   * crash). `syncFile` replaces the WAL's fdatasync (tests).
   */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteStore {
    const synchronous = options.synchronous ?? "full";
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    const ownSync = synchronous === "full" && !db.memory;
    db.pragma(`synchronous = ${ownSync ? "NORMAL" : synchronous.toUpperCase()}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return new SqliteStore(db, ownSync ? new WalSync(`${db.name}-wal`, options.syncFile) : undefined);
  }

  /** The durability the store gives: `full` when it syncs the WAL itself, else the connection's `PRAGMA synchronous`. */
  synchronousMode(): SqliteSynchronous | "off" {
    if (this.walSync !== undefined) return "full";
    const level = Number(this.db.pragma("synchronous", { simple: true }));
    return (["off", "normal", "full", "extra"] as const)[level] ?? "off";
  }

  /** The connection's `PRAGMA wal_autocheckpoint`: 0 while the checkpointer's worker does SQLite's checkpoint. */
  autoCheckpointFrames(): number {
    return Number(this.db.pragma("wal_autocheckpoint", { simple: true }));
  }

  /** How many looks at the WAL the checkpointer's worker has answered (tests: it is woken only when a checkpoint is due). */
  checkpointerLooks(): number {
    return this.checkpointer?.looks ?? 0;
  }

  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const readOnly = options.readOnly === true;
    const outcome = await this.mutex.runExclusive(async () => {
      this.assertOpen();
      const tx = new SqliteTransaction(this.statements, readOnly);
      try {
        if (readOnly) this.control.beginDeferred.run();
        else if (!this.tryBeginWrite()) await this.beginWriteWhenFree();
      } catch (error) {
        throw classify(error);
      }
      try {
        const result = await fn(tx);
        tx.end();
        // A write waits for its own commit to be on disk; a read for every commit it may have seen, looked up inside
        // its own read transaction (it saw exactly that snapshot; after COMMIT the look would take the WAL's read lock again).
        const seen = this.walSync !== undefined && readOnly ? this.readCommit() : 0;
        this.control.commit.run();
        const commit = this.walSync === undefined ? 0 : readOnly ? seen : this.walSync.noteCommit();
        if (!readOnly) this.checkpointer?.nudge();
        return { result, commit };
      } catch (error) {
        tx.end();
        if (this.db.inTransaction) this.control.rollback.run();
        throw classify(error);
      }
    });
    // Outside the lock: the next transactions run (and commit) while this sync is under way, and the next sync covers them all.
    if (outcome.commit !== 0) await this.durable(outcome.commit);
    return outcome.result;
  }

  /**
   * A writer takes the write lock at once (BEGIN IMMEDIATE) rather than
   * failing later; false when another process holds it. Tried with
   * busy_timeout 0, so that SQLite does not sleep on the event loop; every
   * other statement keeps busy_timeout. (`PRAGMA busy_timeout` takes effect
   * when it is prepared, so a prepared one cannot be re-run to set it:
   * `pragma` prepares it each time, ~3 µs.)
   */
  private tryBeginWrite(): boolean {
    this.db.pragma("busy_timeout = 0");
    try {
      this.control.beginImmediate.run();
      return true;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === "SQLITE_BUSY") return false;
      throw error;
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** The connection's `PRAGMA busy_timeout` in milliseconds (tests). */
  busyTimeoutMs(): number {
    return Number(this.db.pragma("busy_timeout", { simple: true }));
  }

  /** Retries BEGIN IMMEDIATE on timers until the write lock is free, for at most BUSY_TIMEOUT_MS; then SQLITE_BUSY (503). */
  private async beginWriteWhenFree(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const wait = WRITE_LOCK_RETRY_MS[Math.min(attempt, WRITE_LOCK_RETRY_MS.length - 1)]!;
      if (Date.now() + wait > deadline) throw new DependencyUnavailableError("store", "SQLITE_BUSY");
      await new Promise((resolve) => setTimeout(resolve, wait));
      this.assertOpen();
      if (this.tryBeginWrite()) return;
    }
  }

  /**
   * The commit a read waits for: the last one of this connection, or a new
   * number when another connection (a worker process) committed since the
   * last look, since the read may have seen that commit and only a sync
   * started after it covers its frames (fdatasync is per file). Called inside
   * the read transaction: `data_version` then tells whether its snapshot holds
   * another connection's commit, and costs no WAL read lock of its own (two
   * `fcntl` calls and ~3-4 µs when called after COMMIT, in a transaction of its own).
   */
  private readCommit(): number {
    const version = this.dataVersion.get();
    if (version === this.seenDataVersion) return this.walSync!.lastCommit();
    this.seenDataVersion = version;
    return this.walSync!.noteCommit();
  }

  /**
   * Waits until commit `commit` is on disk. A failed sync leaves the file's
   * state unknown, so the store then refuses all work (/readyz included)
   * until the gateway is restarted: fail closed. The request whose sync
   * failed gets 503 although its commit is in the WAL (as with SQLite's own
   * FULL, whose failed sync leaves the frames written: recovery at the next
   * start may or may not find them whole).
   */
  private async durable(commit: number): Promise<void> {
    try {
      await this.walSync!.durable(commit);
    } catch (error) {
      if (error instanceof WalSyncFailedError) throw new DependencyUnavailableError("store", error.message);
      throw error;
    }
  }

  async ensureTables(tables: readonly TableDef[]): Promise<void> {
    await this.mutex.runExclusive(async () => {
      this.assertOpen();
      // IMMEDIATE: several worker processes may create the same new table at once (busy_timeout then waits).
      this.db.transaction(() => {
        for (const table of tables) this.ensureTable(table);
      }).immediate();
      this.statements.clear(); // SQLite re-prepares after a schema change anyway; start afresh
    });
    if (this.walSync !== undefined) await this.durable(this.walSync.noteCommit());
  }

  async ping(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      this.assertOpen();
      this.db.prepare("SELECT 1").get();
    });
  }

  async close(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      if (this.closed) return;
      this.closed = true;
      // Every commit is synced before the file is closed (a sync under way finishes first), unless syncing failed.
      await this.walSync?.durable(this.walSync.lastCommit()).catch(() => undefined);
      await this.walSync?.close().catch(() => undefined);
      await this.checkpointer?.close();
      this.statements.clear();
      this.db.close();
    });
  }

  private ensureTable(table: TableDef): void {
    this.db.exec(createTableSql(table, sqliteDialect));
    const existing = new Map(
      (this.db.prepare(`PRAGMA table_info(${quoteIdentifier(table.name)})`).all() as { name: string; type: string }[]).map(
        (info) => [info.name, info.type.toUpperCase()],
      ),
    );
    for (const column of tableColumns(table)) {
      const storedType = existing.get(column.name);
      const wantedType = sqliteDialect.columnType(column.type);
      if (storedType === undefined) this.db.exec(addColumnSql(table, column, sqliteDialect));
      else if (storedType !== wantedType) {
        throw new Error(
          `table ${table.name}: column ${column.name} is stored as ${storedType}, but the configuration makes it ${column.type} (${wantedType})`,
        );
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("store is closed");
    const failure = this.walSync?.failed();
    if (failure !== undefined) throw new DependencyUnavailableError("store", failure.message);
  }
}

class SqliteTransaction implements StoreTransaction {
  private active = true;

  constructor(
    private readonly statements: StatementCache<Database.Statement>,
    private readonly readOnly: boolean,
  ) {}

  end(): void {
    this.active = false;
  }

  async insert(table: TableDef, row: Row): Promise<void> {
    this.run(insertSql(table, row, sqliteDialect));
  }

  async insertBatch(table: TableDef, batch: RecordBatch): Promise<void> {
    this.assertWritable();
    const types = batchColumnTypes(table, batch);
    const records = batch.values.length / types.length;
    if (records === 0) return;
    const statement = this.statements.get(insertRowsSql(table, batch.columns, 1, sqliteDialect));
    const params: unknown[] = new Array(types.length);
    for (let record = 0; record < records; record++) {
      statement.run(encodeBatchValues(types, batch, record, record + 1, sqliteDialect, params));
    }
  }

  async select(table: TableDef, query: SelectQuery): Promise<Row[]> {
    return this.rows(selectSql(table, query, sqliteDialect)).map((raw) => decodeRow(table, raw, sqliteDialect));
  }

  async count(table: TableDef, filter: Filter): Promise<number> {
    const [raw] = this.rows(countSql(table, filter, sqliteDialect));
    return Number(raw?.[0] ?? 0);
  }

  async update(table: TableDef, filter: Filter, values: Row): Promise<number> {
    return this.run(updateSql(table, filter, values, sqliteDialect));
  }

  async delete(table: TableDef, filter: Filter): Promise<number> {
    return this.run(deleteSql(table, filter, sqliteDialect));
  }

  async aggregate(table: TableDef, query: AggregateQuery): Promise<AggregateRow[]> {
    return this.rows(aggregateSql(table, query, sqliteDialect)).map((raw) =>
      decodeAggregateRow(table, query, raw, sqliteDialect),
    );
  }

  private run(statement: SqlStatement): number {
    this.assertWritable();
    return this.statements.get(statement.text).run(...statement.params).changes;
  }

  private rows(statement: SqlStatement): unknown[][] {
    this.assertActive();
    return this.statements.get(statement.text).raw(true).all(...statement.params) as unknown[][];
  }

  private assertActive(): void {
    if (!this.active) throw new Error("transaction has ended");
  }

  private assertWritable(): void {
    this.assertActive();
    if (this.readOnly) throw new Error("write in a read-only transaction");
  }
}
