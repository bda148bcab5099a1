/**
 * The PostgreSQL store: the same SQL builder as SQLite with `$n`
 * placeholders and ILIKE. Each transaction has its own pooled connection,
 * so PostgreSQL itself keeps concurrent transactions apart.
 */
import pg from "pg";
import { DependencyUnavailableError, errorReason } from "../dependency.js";
import type { ColumnType, TableDef } from "../config/types.js";
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

const POSTGRES_COLUMN_TYPES: Record<ColumnType, string> = {
  string: "TEXT",
  integer: "BIGINT",
  decimal: "DOUBLE PRECISION",
  boolean: "BOOLEAN",
  datetime: "TEXT",
};

/** How long a request waits for a connection (a new one, or a free one of the pool). */
const CONNECT_TIMEOUT_MS = 2_000;
/** How long one statement may take, enforced by the client (a frozen server) and by the server. */
const QUERY_TIMEOUT_MS = 5_000;

/**
 * SQLSTATE classes of a server that cannot serve now: 08 connection
 * exception, 53 insufficient resources, 57 operator intervention (shutdown,
 * cannot connect now, statement timeout), 58 system error. Any other SQLSTATE
 * is a real SQL error; an error without one (refused, reset, timed out,
 * terminated) is a connection that failed.
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(["08", "53", "57", "58"]);

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const isSqlState = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
  return !isSqlState || UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

/** A store failure as the pipeline sees it: unavailable (503), or the error itself. */
function classify(error: unknown): unknown {
  if (error instanceof DependencyUnavailableError) return error;
  return isUnavailable(error) ? new DependencyUnavailableError("store", errorReason(error)) : error;
}

/** One statement on `client`; a failure of the server or the connection rejects with DependencyUnavailableError. */
async function query(client: pg.PoolClient, text: string | pg.QueryConfig | pg.QueryArrayConfig, values?: unknown[]): Promise<pg.QueryResult> {
  try {
    return await client.query(text as string, values);
  } catch (error) {
    throw classify(error);
  }
}

/**
 * After a failed transaction: a connection that failed is returned as the
 * error that discards it (the server rolls back what it leaves); otherwise
 * the transaction is rolled back and the connection reused.
 */
async function rollbackUnlessBroken(client: pg.PoolClient, error: unknown): Promise<Error | undefined> {
  if (error instanceof DependencyUnavailableError) return error;
  try {
    await client.query("ROLLBACK");
    return undefined;
  } catch (rollbackError) {
    return rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
  }
}

/**
 * Bound parameters per multi-record INSERT of a batch (the protocol allows
 * 65,535): a 1 MB insertMultiple of ~4,300 records of 9 columns is then four
 * statements, each well under the statement timeout.
 */
export const POSTGRES_BATCH_PARAMETERS = 10_000;

/** Serializes concurrent ensureTables calls from several instances. */
const SCHEMA_LOCK_KEY = 0x77737367; // "wssg"

export const postgresDialect: SqlDialect = {
  placeholder: (position) => `$${position}`,
  caseInsensitiveLike: "ILIKE",
  columnType: (type) => POSTGRES_COLUMN_TYPES[type],
  encode(_type: ColumnType, value: PresentValue): unknown {
    return value;
  },
  decode(type: ColumnType, raw: unknown): StoredValue {
    if (raw === null || raw === undefined) return null;
    switch (type) {
      case "boolean":
        return raw === true || raw === "t" || raw === "true";
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

export class PostgresStore implements Store {
  private constructor(private readonly pool: pg.Pool) {}

  static open(url: string): PostgresStore {
    const pool = new pg.Pool({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      statement_timeout: QUERY_TIMEOUT_MS,
    });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    return new PostgresStore(pool);
  }

  /**
   * Connection failures and timeouts reject with DependencyUnavailableError.
   * A connection that failed or timed out is discarded, not rolled back (the
   * server rolls back a transaction whose connection is gone). Should the
   * COMMIT itself time out, the outcome is unknown to us: the client gets 503.
   */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const client = await this.connect();
    const tx = new PostgresTransaction(client);
    let broken: Error | undefined;
    try {
      await query(client, options.readOnly === true ? "BEGIN READ ONLY" : "BEGIN");
      const result = await fn(tx);
      tx.end();
      await query(client, "COMMIT");
      return result;
    } catch (error) {
      tx.end();
      broken = await rollbackUnlessBroken(client, error);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async ensureTables(tables: readonly TableDef[]): Promise<void> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await query(client, "BEGIN");
      await query(client, "SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
      for (const table of tables) await ensureTable(client, table);
      await query(client, "COMMIT");
    } catch (error) {
      broken = await rollbackUnlessBroken(client, error);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.pool.query("SELECT 1");
    } catch (error) {
      throw classify(error);
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw classify(error);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function ensureTable(client: pg.PoolClient, table: TableDef): Promise<void> {
  await query(client, createTableSql(table, postgresDialect));
  const result = await query(
    client,
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    [table.name],
  );
  const rows = result.rows as { column_name: string; data_type: string }[];
  const existing = new Map(rows.map((row) => [row.column_name, row.data_type.toUpperCase()]));
  for (const column of tableColumns(table)) {
    const storedType = existing.get(column.name);
    const wantedType = postgresDialect.columnType(column.type);
    if (storedType === undefined) await query(client, addColumnSql(table, column, postgresDialect));
    else if (storedType !== wantedType) {
      throw new Error(
        `table ${table.name}: column ${column.name} is stored as ${storedType}, but the configuration makes it ${column.type} (${wantedType})`,
      );
    }
  }
}

class PostgresTransaction implements StoreTransaction {
  private active = true;

  constructor(private readonly client: pg.PoolClient) {}

  end(): void {
    this.active = false;
  }

  async insert(table: TableDef, row: Row): Promise<void> {
    await this.run(insertSql(table, row, postgresDialect));
  }

  /** Multi-record INSERTs of up to POSTGRES_BATCH_PARAMETERS values each, in this transaction. */
  async insertBatch(table: TableDef, batch: RecordBatch): Promise<void> {
    this.assertActive();
    const types = batchColumnTypes(table, batch);
    const records = batch.values.length / types.length;
    const perStatement = Math.max(1, Math.floor(POSTGRES_BATCH_PARAMETERS / types.length));
    let fullText: string | undefined;
    for (let from = 0; from < records; from += perStatement) {
      const to = Math.min(records, from + perStatement);
      const text = to - from === perStatement ? (fullText ??= insertRowsSql(table, batch.columns, perStatement, postgresDialect)) : insertRowsSql(table, batch.columns, to - from, postgresDialect);
      const values = encodeBatchValues(types, batch, from, to, postgresDialect, new Array((to - from) * types.length));
      await this.run({ text, params: values });
    }
  }

  async select(table: TableDef, query: SelectQuery): Promise<Row[]> {
    const rows = await this.rows(selectSql(table, query, postgresDialect));
    return rows.map((raw) => decodeRow(table, raw, postgresDialect));
  }

  async count(table: TableDef, filter: Filter): Promise<number> {
    const [raw] = await this.rows(countSql(table, filter, postgresDialect));
    return Number(raw?.[0] ?? 0);
  }

  async update(table: TableDef, filter: Filter, values: Row): Promise<number> {
    return this.run(updateSql(table, filter, values, postgresDialect));
  }

  async delete(table: TableDef, filter: Filter): Promise<number> {
    return this.run(deleteSql(table, filter, postgresDialect));
  }

  async aggregate(table: TableDef, query: AggregateQuery): Promise<AggregateRow[]> {
    const rows = await this.rows(aggregateSql(table, query, postgresDialect));
    return rows.map((raw) => decodeAggregateRow(table, query, raw, postgresDialect));
  }

  private async run(statement: SqlStatement): Promise<number> {
    this.assertActive();
    const result = await query(this.client, { text: statement.text, values: statement.params as unknown[] });
    return result.rowCount ?? 0;
  }

  private async rows(statement: SqlStatement): Promise<unknown[][]> {
    this.assertActive();
    const result = await query(this.client, { text: statement.text, values: [...statement.params], rowMode: "array" });
    return result.rows as unknown[][];
  }

  private assertActive(): void {
    if (!this.active) throw new Error("transaction has ended");
  }
}
