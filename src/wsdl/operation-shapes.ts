/**
 * The request and response shapes of the nine Direct Web Service operations
 * (SPEC §4), independent of XML Schema syntax. xsd.ts turns them into
 * element declarations; generate.ts names them in messages and bindings.
 */
import { SYSTEM_COLUMN_DEFS, type ColumnDef, type TableDef } from "../config/types.js";
import { TABLE_OPERATIONS, type TableOperation } from "../operations/names.js";

export { TABLE_OPERATIONS, type TableOperation };

export type BuiltinType = "xsd:string" | "xsd:integer" | "xsd:decimal" | "xsd:boolean";

export type FieldContent =
  /** A table column: its XSD type and facets follow the column definition. */
  | { readonly kind: "column"; readonly column: ColumnDef }
  | { readonly kind: "builtin"; readonly type: BuiltinType }
  /**
   * A nested element with children. `any-order` children each occur at most
   * once and may come in any order (xsd:all); `ordered` ones follow xsd:sequence.
   */
  | { readonly kind: "record"; readonly order: "any-order" | "ordered"; readonly fields: readonly Field[] };

export interface Field {
  readonly name: string;
  readonly required: boolean;
  readonly repeated: boolean;
  readonly content: FieldContent;
}

export interface OperationShape {
  readonly operation: TableOperation;
  /** The request element `{operation}`. */
  readonly request: FieldContent & { readonly kind: "record" };
  /** The response element `{operation}Response`. */
  readonly response: FieldContent & { readonly kind: "record" };
}


const SYS_ID_COLUMN = SYSTEM_COLUMN_DEFS[0]!;

/**
 * Query controls accepted by getRecords and getKeys. deleteMultiple and
 * aggregate take only `__encoded_query` (the operations refuse the others:
 * src/operations/query-request.ts).
 */
export const QUERY_CONTROLS: readonly { name: string; type: BuiltinType }[] = [
  { name: "__encoded_query", type: "xsd:string" },
  { name: "__limit", type: "xsd:integer" },
  { name: "__first_row", type: "xsd:integer" },
  { name: "__last_row", type: "xsd:integer" },
  { name: "__order_by", type: "xsd:string" },
  { name: "__order_by_desc", type: "xsd:string" },
];

/** aggregate's request children; each names the column it applies to. */
export const AGGREGATE_FUNCTIONS = ["COUNT", "SUM", "AVG", "MIN", "MAX"] as const;
export const AGGREGATE_GROUP_BY = "GROUP_BY";

export function operationShapes(table: TableDef): readonly OperationShape[] {
  return TABLE_OPERATIONS.map((operation) => operationShape(table, operation));
}

export function operationShape(table: TableDef, operation: TableOperation): OperationShape {
  const configured = [...table.columns.values()];
  const optionalColumns = configured.map((column) => columnField(column, false));
  const systemColumns = SYSTEM_COLUMN_DEFS.map((column) => columnField(column, false));
  const otherSystemColumns = systemColumns.filter((field) => field.name !== SYS_ID_COLUMN.name);
  const requiredSysId = columnField(SYS_ID_COLUMN, true);
  const columnFilters = [...optionalColumns, ...systemColumns];
  const filters = [...columnFilters, ...queryControlFields()];
  const filtersWithEncodedQuery = [...columnFilters, ...queryControlFields().filter((f) => f.name === "__encoded_query")];
  // Response records list sys_id first, then the configured columns, then the other system columns.
  const wholeRecord = [columnField(SYS_ID_COLUMN, false), ...optionalColumns, ...otherSystemColumns];
  const insertResult = [requiredSysId, ...optionalColumns, ...otherSystemColumns];

  const shape = (request: readonly Field[], response: readonly Field[], ordered = false) => ({
    operation,
    request: anyOrder(request),
    response: ordered ? inSequence(response) : anyOrder(response),
  });

  switch (operation) {
    case "insert":
      return shape(optionalColumns, insertResult);
    case "insertMultiple":
      return {
        operation,
        request: inSequence([nested("record", anyOrder(optionalColumns), { required: true, repeated: true })]),
        response: inSequence([
          nested("insertResponse", anyOrder(insertResult), { required: false, repeated: true }),
        ]),
      };
    case "get":
      return shape([requiredSysId], wholeRecord);
    case "getRecords":
      return {
        operation,
        request: anyOrder(filters),
        response: inSequence([
          nested("getRecordsResult", anyOrder(wholeRecord), { required: false, repeated: true }),
        ]),
      };
    case "getKeys":
      return shape(filters, [builtin("sys_id", "xsd:string", true), builtin("count", "xsd:integer", true)]);
    case "update":
      return shape([requiredSysId, ...optionalColumns], [columnField(SYS_ID_COLUMN, true)]);
    case "deleteRecord":
      return shape([requiredSysId], [builtin("count", "xsd:integer", true)]);
    case "deleteMultiple":
      return shape(filtersWithEncodedQuery, [builtin("count", "xsd:integer", true)]);
    case "aggregate": {
      const aggregateNames = [...AGGREGATE_FUNCTIONS, AGGREGATE_GROUP_BY];
      const aggregateRequest = aggregateNames.map((name) => builtin(name, "xsd:string", false));
      const aggregateValues = AGGREGATE_FUNCTIONS.map((name) => builtin(name, "xsd:string", false));
      return {
        operation,
        request: anyOrder([...aggregateRequest, ...filtersWithEncodedQuery]),
        response: inSequence([
          // The GROUP_BY column's value comes with the aggregates, named after the column.
          nested("aggregateResult", anyOrder([...aggregateValues, ...wholeRecord]), {
            required: false,
            repeated: true,
          }),
        ]),
      };
    }
    default: {
      const unreachable: never = operation;
      throw new Error(`unknown operation ${String(unreachable)}`);
    }
  }
}

function columnField(column: ColumnDef, required: boolean): Field {
  return { name: column.name, required, repeated: false, content: { kind: "column", column } };
}

function builtin(name: string, type: BuiltinType, required: boolean): Field {
  return { name, required, repeated: false, content: { kind: "builtin", type } };
}

function queryControlFields(): Field[] {
  return QUERY_CONTROLS.map((control) => builtin(control.name, control.type, false));
}

function nested(
  name: string,
  content: FieldContent & { kind: "record" },
  occurs: { required: boolean; repeated: boolean },
): Field {
  return { name, ...occurs, content };
}

function anyOrder(fields: readonly Field[]): FieldContent & { kind: "record" } {
  // A column that shares its name with a query control or aggregate function
  // would make the xsd:all ambiguous; the first declaration wins.
  const unique = fields.filter((field, index) => fields.findIndex((f) => f.name === field.name) === index);
  return { kind: "record", order: "any-order", fields: unique };
}

function inSequence(fields: readonly Field[]): FieldContent & { kind: "record" } {
  return { kind: "record", order: "ordered", fields };
}
