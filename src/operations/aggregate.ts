/**
 * aggregate: COUNT / SUM / AVG / MIN / MAX over the matching records,
 * optionally per GROUP_BY value. Each function and GROUP_BY appears at most
 * once and names one column (COUNT takes `*`, empty, or a column).
 *
 * Response: one `aggregateResult` per group (exactly one without GROUP_BY),
 * children: the group column `<category>network</category>` first, then the
 * requested functions in COUNT, SUM, AVG, MIN, MAX order, e.g.
 * `<aggregateResult><category>network</category><COUNT>3</COUNT><SUM>12</SUM></aggregateResult>`.
 */
import type { ColumnDef, TableDef } from "../config/types.js";
import { clientFault } from "../soap/faults.js";
import { findColumn, type AggregateFunction, type Measure } from "../store/types.js";
import { requireReadable, type ColumnAccess } from "./access.js";
import { MAX_ROW_LIMIT, parseQueryRequest } from "./query-request.js";
import { childText, refuseRepeats, requestChildren, type RequestChild } from "./request-elements.js";
import type { OperationRequest, OperationResponse, ResponseItem } from "./types.js";
import { formatStoredValue, quoteClientText } from "./values.js";

export const AGGREGATE_FUNCTIONS = ["COUNT", "SUM", "AVG", "MIN", "MAX"] as const;
export type AggregateName = (typeof AGGREGATE_FUNCTIONS)[number];
const GROUP_BY = "GROUP_BY";

export async function runAggregate(req: OperationRequest): Promise<OperationResponse> {
  const children = requestChildren(req.element, req.table);
  const aggregateChildren = children.filter((child) => isAggregateChild(child.name));
  refuseRepeats(aggregateChildren);
  const requested = AGGREGATE_FUNCTIONS.flatMap((name): { name: AggregateName; measure: Measure }[] => {
    const child = aggregateChildren.find((candidate) => candidate.name === name);
    return child === undefined ? [] : [{ name, measure: parseMeasure(name, child, req.table, req.access) }];
  });
  if (requested.length === 0) throw clientFault("aggregate needs at least one of COUNT, SUM, AVG, MIN, MAX");
  const groupChild = aggregateChildren.find((child) => child.name === GROUP_BY);
  const groupColumn = groupChild === undefined ? undefined : readableColumn(GROUP_BY, groupChild, req.table, req.access);

  const query = parseQueryRequest(
    children.filter((child) => !isAggregateChild(child.name)),
    { operation: req.operation, table: req.table, access: req.access, controls: ["__encoded_query"], defaultLimit: MAX_ROW_LIMIT },
  );
  const rows = await req.store.transaction((tx) =>
    tx.aggregate(req.table, {
      filter: query.filter,
      measures: requested.map((entry) => entry.measure),
      groupBy: groupColumn === undefined ? [] : [groupColumn.name],
    }),
    { readOnly: true },
  );
  return {
    items: rows.map((row) => {
      const groupItems: ResponseItem[] =
        groupColumn === undefined ? [] : [{ name: groupColumn.name, value: formatStoredValue(row.group.get(groupColumn.name) ?? null) }];
      const valueItems = requested.map((entry, index) => ({ name: entry.name, value: formatStoredValue(row.values[index] ?? null) }));
      return { name: "aggregateResult", children: [...groupItems, ...valueItems] };
    }),
  };
}

function isAggregateChild(name: string): boolean {
  return name === GROUP_BY || (AGGREGATE_FUNCTIONS as readonly string[]).includes(name);
}

function parseMeasure(name: AggregateName, child: RequestChild, table: TableDef, access: ColumnAccess): Measure {
  if (name === "COUNT" && ["", "*"].includes((childText(child) ?? "").trim())) return { kind: "countRows" };
  const column = readableColumn(name, child, table, access);
  if ((name === "SUM" || name === "AVG") && column.type !== "integer" && column.type !== "decimal") {
    throw clientFault(`${name} needs an integer or decimal field; '${column.name}' is ${column.type}`);
  }
  if ((name === "MIN" || name === "MAX") && column.type === "boolean") {
    throw clientFault(`${name} cannot be applied to boolean field '${column.name}'`);
  }
  return { kind: "ofColumn", fn: name.toLowerCase() as AggregateFunction, column: column.name };
}

function readableColumn(name: string, child: RequestChild, table: TableDef, access: ColumnAccess): ColumnDef {
  const columnName = (childText(child) ?? "").trim();
  if (columnName === "") throw clientFault(`${name} needs a field name`);
  const column = findColumn(table, columnName);
  if (column === undefined) throw clientFault(`Unknown field ${quoteClientText(columnName)} in ${name}`);
  requireReadable(access, column.name);
  return column;
}
