/**
 * SQL text for the store's query model, shared by every SQL dialect. Values
 * only ever travel as bound parameters (but a SELECT's row limit: see
 * `limitLiteral`); identifiers (validated by the configuration as safe
 * names) are quoted anyway.
 */
import type { ColumnDef, ColumnType, TableDef } from "../config/types.js";
import {
  findColumn,
  tableColumns,
  type AggregateQuery,
  type Filter,
  type Measure,
  type PresentValue,
  type RecordBatch,
  type Row,
  type SelectQuery,
  type StoredValue,
} from "./types.js";

export interface SqlDialect {
  /** Placeholder for the `position`-th (1-based) bound parameter. */
  placeholder(position: number): string;
  /** The operator for an ASCII case-insensitive LIKE. */
  readonly caseInsensitiveLike: "LIKE" | "ILIKE";
  columnType(type: ColumnType): string;
  encode(type: ColumnType, value: PresentValue): unknown;
  decode(type: ColumnType, raw: unknown): StoredValue;
}

export interface SqlStatement {
  readonly text: string;
  readonly params: readonly unknown[];
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function createTableSql(table: TableDef, dialect: SqlDialect): string {
  const columns = tableColumns(table).map((column) =>
    column.name === "sys_id"
      ? `${quoteIdentifier(column.name)} ${dialect.columnType(column.type)} PRIMARY KEY NOT NULL`
      : `${quoteIdentifier(column.name)} ${dialect.columnType(column.type)}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table.name)} (${columns.join(", ")})`;
}

export function addColumnSql(table: TableDef, column: ColumnDef, dialect: SqlDialect): string {
  return `ALTER TABLE ${quoteIdentifier(table.name)} ADD COLUMN ${quoteIdentifier(column.name)} ${dialect.columnType(column.type)}`;
}

export function insertSql(table: TableDef, row: Row, dialect: SqlDialect): SqlStatement {
  const params = new Params(dialect);
  const names: string[] = [];
  const placeholders: string[] = [];
  for (const [name, value] of row) {
    const column = requireColumn(table, name);
    names.push(quoteIdentifier(column.name));
    placeholders.push(params.add(column.type, value));
  }
  return {
    text: `INSERT INTO ${quoteIdentifier(table.name)} (${names.join(", ")}) VALUES (${placeholders.join(", ")})`,
    params: params.values,
  };
}

/**
 * `INSERT … VALUES (…), (…)` for `rowCount` records naming `columns`, with
 * one placeholder per value, record after record (see `encodeBatchValues`).
 */
export function insertRowsSql(table: TableDef, columns: readonly string[], rowCount: number, dialect: SqlDialect): string {
  if (columns.length === 0 || rowCount < 1) throw new Error("insert without columns or rows");
  const names = columns.map((name) => quoteIdentifier(requireColumn(table, name).name));
  const rows: string[] = [];
  let position = 0;
  for (let row = 0; row < rowCount; row++) {
    const placeholders: string[] = [];
    for (let column = 0; column < columns.length; column++) placeholders.push(dialect.placeholder(++position));
    rows.push(`(${placeholders.join(", ")})`);
  }
  return `INSERT INTO ${quoteIdentifier(table.name)} (${names.join(", ")}) VALUES ${rows.join(", ")}`;
}

/**
 * Encodes the batch's values of records `[fromRow, toRow)` into `into`
 * (bound parameters in `insertRowsSql` order), from index 0; returns `into`.
 */
export function encodeBatchValues(
  types: readonly ColumnType[],
  batch: RecordBatch,
  fromRow: number,
  toRow: number,
  dialect: SqlDialect,
  into: unknown[],
): unknown[] {
  const width = types.length;
  const values = batch.values;
  let out = 0;
  for (let index = fromRow * width, end = toRow * width; index < end; index++) {
    const value = values[index]!;
    into[out++] = value === null ? null : dialect.encode(types[index % width]!, value);
  }
  return into;
}

/** The column types of a batch's columns, checked against the table; refuses a ragged batch. */
export function batchColumnTypes(table: TableDef, batch: RecordBatch): ColumnType[] {
  if (batch.columns.length === 0 || batch.values.length % batch.columns.length !== 0) {
    throw new Error(`insert batch of ${batch.values.length} values for ${batch.columns.length} columns`);
  }
  return batch.columns.map((name) => requireColumn(table, name).type);
}

/** The quoted column list of `SELECT` for each table definition (a configuration's are frozen: computed once). */
const selectLists = new WeakMap<TableDef, string>();

function selectList(table: TableDef): string {
  let list = selectLists.get(table);
  if (list === undefined) {
    list = tableColumns(table)
      .map((column) => quoteIdentifier(column.name))
      .join(", ");
    selectLists.set(table, list);
  }
  return list;
}

/** Selects every column of the table, in `tableColumns()` order. */
export function selectSql(table: TableDef, query: SelectQuery, dialect: SqlDialect): SqlStatement {
  const params = new Params(dialect);
  const where = whereSql(table, query.filter, params);
  const orderTerms = [...query.orderBy.filter((term) => term.column !== "sys_id"), { column: "sys_id", direction: "asc" as const }];
  const orderBy = orderTerms.map((term) => {
    const column = quoteIdentifier(requireColumn(table, term.column).name);
    return term.direction === "asc" ? `${column} ASC NULLS FIRST` : `${column} DESC NULLS LAST`;
  });
  const offset = params.add("integer", query.offset);
  return {
    text: `SELECT ${selectList(table)} FROM ${quoteIdentifier(table.name)} WHERE ${where} ORDER BY ${orderBy.join(", ")} LIMIT ${limitLiteral(query.limit)} OFFSET ${offset}`,
    params: params.values,
  };
}

/**
 * A SELECT's row limit, written into the SQL text as a decimal literal, not
 * bound: SQLite's query planner reads the value of a bound LIMIT, so a
 * statement with `LIMIT ?` is compiled again at every execution (3.53 with
 * STAT4, as built by better-sqlite3: 13-14 µs per single-row read by key
 * against 6.5-7 µs with a literal; a bound OFFSET is not affected). Only a
 * safe non-negative integer is written; anything else is refused. Each
 * distinct limit is one more statement text for the store's bounded
 * statement cache.
 */
export function limitLiteral(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`row limit ${String(limit)} is not a non-negative integer`);
  return String(limit);
}

export function countSql(table: TableDef, filter: Filter, dialect: SqlDialect): SqlStatement {
  const params = new Params(dialect);
  const where = whereSql(table, filter, params);
  return { text: `SELECT COUNT(*) FROM ${quoteIdentifier(table.name)} WHERE ${where}`, params: params.values };
}

export function updateSql(table: TableDef, filter: Filter, values: Row, dialect: SqlDialect): SqlStatement {
  const params = new Params(dialect);
  const assignments = [...values].map(([name, value]) => {
    const column = requireColumn(table, name);
    return `${quoteIdentifier(column.name)} = ${params.add(column.type, value)}`;
  });
  if (assignments.length === 0) throw new Error("update without values");
  const where = whereSql(table, filter, params);
  return {
    text: `UPDATE ${quoteIdentifier(table.name)} SET ${assignments.join(", ")} WHERE ${where}`,
    params: params.values,
  };
}

export function deleteSql(table: TableDef, filter: Filter, dialect: SqlDialect): SqlStatement {
  const params = new Params(dialect);
  const where = whereSql(table, filter, params);
  return { text: `DELETE FROM ${quoteIdentifier(table.name)} WHERE ${where}`, params: params.values };
}

/** Selects the group columns, then one value per measure. */
export function aggregateSql(table: TableDef, query: AggregateQuery, dialect: SqlDialect): SqlStatement {
  const params = new Params(dialect);
  const groups = query.groupBy.map((name) => quoteIdentifier(requireColumn(table, name).name));
  const measures = query.measures.map((measure) => measureSql(table, measure));
  const where = whereSql(table, query.filter, params);
  let text = `SELECT ${[...groups, ...measures].join(", ")} FROM ${quoteIdentifier(table.name)} WHERE ${where}`;
  if (groups.length > 0) {
    text += ` GROUP BY ${groups.join(", ")} ORDER BY ${groups.map((group) => `${group} ASC NULLS FIRST`).join(", ")}`;
  }
  return { text, params: params.values };
}

function measureSql(table: TableDef, measure: Measure): string {
  switch (measure.kind) {
    case "countRows":
      return "COUNT(*)";
    case "ofColumn": {
      const column = quoteIdentifier(requireColumn(table, measure.column).name);
      return `${measure.fn.toUpperCase()}(${column})`;
    }
    default: {
      const unreachable: never = measure;
      throw new Error(`unknown measure ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Decodes one raw result row selected by `selectSql`. */
export function decodeRow(table: TableDef, raw: readonly unknown[], dialect: SqlDialect): Row {
  const row = new Map<string, StoredValue>();
  tableColumns(table).forEach((column, index) => row.set(column.name, dialect.decode(column.type, raw[index])));
  return row;
}

/** Decodes one raw result row selected by `aggregateSql`. */
export function decodeAggregateRow(
  table: TableDef,
  query: AggregateQuery,
  raw: readonly unknown[],
  dialect: SqlDialect,
): { group: Row; values: StoredValue[] } {
  const group = new Map<string, StoredValue>();
  query.groupBy.forEach((name, index) => group.set(name, dialect.decode(requireColumn(table, name).type, raw[index])));
  const values = query.measures.map((measure, index) => {
    const value = raw[query.groupBy.length + index];
    if (value === null || value === undefined) return null;
    if (measure.kind === "countRows" || measure.fn === "count" || measure.fn === "sum" || measure.fn === "avg") {
      return Number(value);
    }
    return dialect.decode(requireColumn(table, measure.column).type, value);
  });
  return { group, values };
}

/** Escapes LIKE wildcards so that the text matches literally (with `ESCAPE '\'`). */
export function escapeLikeText(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function whereSql(table: TableDef, filter: Filter, params: Params): string {
  switch (filter.kind) {
    case "all":
      return "1 = 1";
    case "and":
      return filter.filters.length === 0 ? "1 = 1" : `(${filter.filters.map((f) => whereSql(table, f, params)).join(" AND ")})`;
    case "or":
      return filter.filters.length === 0 ? "1 = 0" : `(${filter.filters.map((f) => whereSql(table, f, params)).join(" OR ")})`;
    case "compare": {
      const column = requireColumn(table, filter.column);
      const name = quoteIdentifier(column.name);
      const value = params.add(column.type, filter.value);
      return filter.op === "!=" ? `(${name} IS NULL OR ${name} <> ${value})` : `${name} ${filter.op} ${value}`;
    }
    case "text": {
      const column = requireColumn(table, filter.column);
      const escaped = escapeLikeText(filter.text);
      const pattern =
        filter.match === "contains" ? `%${escaped}%` : filter.match === "startsWith" ? `${escaped}%` : `%${escaped}`;
      return `${quoteIdentifier(column.name)} ${params.dialect.caseInsensitiveLike} ${params.add("string", pattern)} ESCAPE '\\'`;
    }
    case "in": {
      const column = requireColumn(table, filter.column);
      if (filter.values.length === 0) return "1 = 0";
      const list = filter.values.map((value) => params.add(column.type, value));
      return `${quoteIdentifier(column.name)} IN (${list.join(", ")})`;
    }
    case "isEmpty": {
      const column = requireColumn(table, filter.column);
      const name = quoteIdentifier(column.name);
      return column.type === "string" ? `(${name} IS NULL OR ${name} = '')` : `${name} IS NULL`;
    }
    case "isNotEmpty": {
      const column = requireColumn(table, filter.column);
      const name = quoteIdentifier(column.name);
      return column.type === "string" ? `(${name} IS NOT NULL AND ${name} <> '')` : `${name} IS NOT NULL`;
    }
    default: {
      const unreachable: never = filter;
      throw new Error(`unknown filter ${JSON.stringify(unreachable)}`);
    }
  }
}

function requireColumn(table: TableDef, name: string): ColumnDef {
  const column = findColumn(table, name);
  if (column === undefined) throw new Error(`no column ${name} in table ${table.name}`);
  return column;
}

class Params {
  readonly values: unknown[] = [];
  constructor(readonly dialect: SqlDialect) {}
  add(type: ColumnType, value: StoredValue): string {
    this.values.push(value === null ? null : this.dialect.encode(type, value));
    return this.dialect.placeholder(this.values.length);
  }
}
