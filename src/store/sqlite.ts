/**
 * The embedded store: one better-sqlite3 connection in WAL mode. The driver
 * is synchronous but the Store interface is async, so an async mutex keeps
 * two requests' transactions from interleaving on the one connection.
 * Statements are prepared once per SQL text (StatementCache); a batch of
 * records is inserted by one single-record INSERT run once per record, which
 * measured as fast as multi-record INSERTs of 8 to 3,640 rows (docs/performance.md).
 */
import Database from "better-sqlite3";
import { DependencyUnavailableError } from "../dependency.js";
import type { ColumnType, TableDef } from "../config/types.js";
import { AsyncMutex } from "./mutex.js";
import { StatementCache } from "./statement-cache.js";
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

  private constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache((text) => db.prepare(text), STATEMENT_CACHE_SIZE);
    this.control = {
      beginImmediate: db.prepare("BEGIN IMMEDIATE"),
      beginDeferred: db.prepare("BEGIN DEFERRED"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
    };
  }

  /**
   * Opens (creating if needed) the database file at `path`, or `:memory:`.
   * `synchronous` defaults to FULL: in WAL mode each COMMIT then waits for
   * the WAL to reach the disk, so an acknowledged write survives a power
   * loss; NORMAL syncs only at checkpoints (faster, but the last commits
   * can be lost on power failure — never on a process crash).
   */
  static open(path: string, options: { readonly synchronous?: SqliteSynchronous } = {}): SqliteStore {
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${(options.synchronous ?? "full").toUpperCase()}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return new SqliteStore(db);
  }

  /** The connection's `PRAGMA synchronous`, as SQLite reports it. */
  synchronousMode(): SqliteSynchronous | "off" {
    const level = Number(this.db.pragma("synchronous", { simple: true }));
    return (["off", "normal", "full", "extra"] as const)[level] ?? "off";
  }

  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.mutex.runExclusive(async () => {
      this.assertOpen();
      const readOnly = options.readOnly === true;
      const tx = new SqliteTransaction(this.statements, readOnly);
      try {
        // A writer takes the write lock at once (IMMEDIATE: waits busy_timeout for another process's writer rather than failing later).
        (readOnly ? this.control.beginDeferred : this.control.beginImmediate).run();
      } catch (error) {
        throw classify(error);
      }
      try {
        const result = await fn(tx);
        tx.end();
        this.control.commit.run();
        return result;
      } catch (error) {
        tx.end();
        if (this.db.inTransaction) this.control.rollback.run();
        throw classify(error);
      }
    });
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
