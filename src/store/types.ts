/**
 * The store behind the table operations, with a dialect-neutral query model:
 * the operations build `Filter`s and queries from these types only, so a
 * second SQL dialect (PostgreSQL) needs no change in src/operations/.
 */
import { SYSTEM_COLUMN_DEFS, type ColumnDef, type TableDef } from "../config/types.js";

/**
 * A column value as the operations see it: `string` for string and datetime
 * columns (datetime in the canonical UTC `YYYY-MM-DD HH:MM:SS`, which sorts
 * as text), `number` for integer and decimal, `boolean` for boolean, `null`
 * for an empty non-string value or a column never set.
 */
export type StoredValue = string | number | boolean | null;
export type PresentValue = Exclude<StoredValue, null>;

/** One record, keyed by column name (system columns included). */
export type Row = ReadonlyMap<string, StoredValue>;

export type Comparison = "=" | "!=" | "<" | "<=" | ">" | ">=";
export type TextMatch = "contains" | "startsWith" | "endsWith";

/**
 * Which records a query touches. Text matches are ASCII case-insensitive;
 * `!=` also matches records where the column is empty (NULL), as a user
 * would expect from "not equal to 5". "Empty" means NULL, or '' for strings.
 */
export type Filter =
  | { readonly kind: "all" }
  | { readonly kind: "and"; readonly filters: readonly Filter[] }
  | { readonly kind: "or"; readonly filters: readonly Filter[] }
  | { readonly kind: "compare"; readonly column: string; readonly op: Comparison; readonly value: PresentValue }
  | { readonly kind: "text"; readonly column: string; readonly match: TextMatch; readonly text: string }
  | { readonly kind: "in"; readonly column: string; readonly values: readonly PresentValue[] }
  | { readonly kind: "isEmpty"; readonly column: string }
  | { readonly kind: "isNotEmpty"; readonly column: string };

export const MATCH_ALL: Filter = { kind: "all" };

/** Ascending puts empty values first, descending last. */
export interface OrderTerm {
  readonly column: string;
  readonly direction: "asc" | "desc";
}

export interface SelectQuery {
  readonly filter: Filter;
  /** `sys_id` is always appended as the last tie-breaker, so paging is stable. */
  readonly orderBy: readonly OrderTerm[];
  readonly offset: number;
  readonly limit: number;
}

export type AggregateFunction = "count" | "sum" | "avg" | "min" | "max";

export type Measure =
  | { readonly kind: "countRows" }
  /** `count` counts non-empty values of the column. */
  | { readonly kind: "ofColumn"; readonly fn: AggregateFunction; readonly column: string };

export interface AggregateQuery {
  readonly filter: Filter;
  readonly measures: readonly Measure[];
  /** Grouping columns; groups come back ordered by them, ascending. */
  readonly groupBy: readonly string[];
}

export interface AggregateRow {
  /** The group's value of each `groupBy` column. */
  readonly group: Row;
  /** One value per measure, in `measures` order: a count, a number, a column value, or null (no values). */
  readonly values: readonly StoredValue[];
}

/**
 * New records that all name the same columns: `values` holds one value per
 * column for each record, record after record, so its length is a multiple
 * of `columns.length`. A column not named is left empty (NULL), as in `insert`.
 */
export interface RecordBatch {
  readonly columns: readonly string[];
  readonly values: readonly StoredValue[];
}

export interface TransactionOptions {
  /**
   * The transaction only reads (get, getRecords, getKeys, aggregate): it
   * takes no write lock (SQLite begins it deferred; PostgreSQL `READ ONLY`),
   * and a write in it is refused.
   */
  readonly readOnly?: boolean;
}

/** The work of one transaction. Invalid once the transaction has ended. */
export interface StoreTransaction {
  insert(table: TableDef, row: Row): Promise<void>;
  /** Inserts every record of the batch, as that many `insert`s would (and as part of this transaction). */
  insertBatch(table: TableDef, batch: RecordBatch): Promise<void>;
  select(table: TableDef, query: SelectQuery): Promise<Row[]>;
  count(table: TableDef, filter: Filter): Promise<number>;
  /** Sets `values` on every matching record; returns how many matched. */
  update(table: TableDef, filter: Filter, values: Row): Promise<number>;
  delete(table: TableDef, filter: Filter): Promise<number>;
  aggregate(table: TableDef, query: AggregateQuery): Promise<AggregateRow[]>;
}

export interface Store {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back
   * when it throws. Transactions never interleave with each other.
   */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Creates missing tables and adds missing columns; refuses a column whose stored type differs. */
  ensureTables(tables: readonly TableDef[]): Promise<void>;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}


const columnsOfTable = new WeakMap<TableDef, readonly ColumnDef[]>();

/** Every column of a table: the configured ones in file order, then the system columns (computed once per table definition). */
export function tableColumns(table: TableDef): readonly ColumnDef[] {
  let columns = columnsOfTable.get(table);
  if (columns === undefined) {
    const configured = [...table.columns.values()].filter((column) => !isSystemColumn(column.name));
    columns = Object.freeze([...configured, ...SYSTEM_COLUMN_DEFS]);
    columnsOfTable.set(table, columns);
  }
  return columns;
}

export function isSystemColumn(name: string): boolean {
  return SYSTEM_COLUMN_DEFS.some((column) => column.name === name);
}

/** A column of the table (system columns included), or undefined. */
export function findColumn(table: TableDef, name: string): ColumnDef | undefined {
  return SYSTEM_COLUMN_DEFS.find((column) => column.name === name) ?? table.columns.get(name);
}
