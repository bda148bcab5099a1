/**
 * The PostgreSQL store: the same SQL builder as SQLite with `$n`
 * placeholders and ILIKE. Each transaction has its own pooled connection,
 * so PostgreSQL itself keeps concurrent transactions apart.
 */
import pg from "pg";
import type { ColumnType, TableDef } from "../config/types.js";
import {
  addColumnSql,
  aggregateSql,
  countSql,
  createTableSql,
  decodeAggregateRow,
  decodeRow,
  deleteSql,
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
  type Row,
  type SelectQuery,
  type Store,
  type StoreTransaction,
  type StoredValue,
} from "./types.js";

const POSTGRES_COLUMN_TYPES: Record<ColumnType, string> = {
  string: "TEXT",
  integer: "BIGINT",
  decimal: "DOUBLE PRECISION",
  boolean: "BOOLEAN",
  datetime: "TEXT",
};

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
    const pool = new pg.Pool({ connectionString: url });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    return new PostgresStore(pool);
  }

  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new PostgresTransaction(client);
    try {
      await client.query("BEGIN");
      const result = await fn(tx);
      tx.end();
      await client.query("COMMIT");
      return result;
    } catch (error) {
      tx.end();
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async ensureTables(tables: readonly TableDef[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
      for (const table of tables) await ensureTable(client, table);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function ensureTable(client: pg.PoolClient, table: TableDef): Promise<void> {
  await client.query(createTableSql(table, postgresDialect));
  const result = await client.query<{ column_name: string; data_type: string }>(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    [table.name],
  );
  const existing = new Map(result.rows.map((row) => [row.column_name, row.data_type.toUpperCase()]));
  for (const column of tableColumns(table)) {
    const storedType = existing.get(column.name);
    const wantedType = postgresDialect.columnType(column.type);
    if (storedType === undefined) await client.query(addColumnSql(table, column, postgresDialect));
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
    const result = await this.client.query({ text: statement.text, values: [...statement.params] });
    return result.rowCount ?? 0;
  }

  private async rows(statement: SqlStatement): Promise<unknown[][]> {
    this.assertActive();
    const result = await this.client.query({ text: statement.text, values: [...statement.params], rowMode: "array" });
    return result.rows as unknown[][];
  }

  private assertActive(): void {
    if (!this.active) throw new Error("transaction has ended");
  }
}
