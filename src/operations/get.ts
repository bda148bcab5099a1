/** get, getRecords and getKeys: reading records. */
import type { Row } from "../store/types.js";
import { DEFAULT_ROW_LIMIT, MAX_ROW_LIMIT, parseQueryRequest, QUERY_CONTROLS } from "./query-request.js";
import { readableColumns, readableItems, recordItems, refuseExtraChildren, takeSysId } from "./records.js";
import { requestChildren } from "./request-elements.js";
import type { OperationRequest, OperationResponse } from "./types.js";

/** The record's readable columns; an unknown sys_id answers an empty response, as the platform does. */
export async function runGet(req: OperationRequest): Promise<OperationResponse> {
  const { sysId, rest } = takeSysId(requestChildren(req.element, req.table));
  refuseExtraChildren(rest, req.operation, req.table);
  const rows = await req.store.transaction((tx) =>
    tx.select(req.table, {
      filter: { kind: "compare", column: "sys_id", op: "=", value: sysId },
      orderBy: [],
      offset: 0,
      limit: 1,
    }),
    { readOnly: true },
  );
  const [row] = rows;
  return { items: row === undefined ? [] : recordItems(req.table, row, req.access) };
}

export async function runGetRecords(req: OperationRequest): Promise<OperationResponse> {
  const rows = await selectRecords(req, DEFAULT_ROW_LIMIT);
  const columns = readableColumns(req.table, req.access);
  return {
    items: rows.map((row) => ({ name: "getRecordsResult", children: readableItems(columns, row) })),
  };
}

/** The matching sys_ids, comma-separated, and how many there are (up to MAX_ROW_LIMIT by default). */
export async function runGetKeys(req: OperationRequest): Promise<OperationResponse> {
  const rows = await selectRecords(req, MAX_ROW_LIMIT);
  const keys = rows.map((row) => String(row.get("sys_id")));
  return {
    items: [
      { name: "sys_id", value: keys.join(",") },
      { name: "count", value: String(keys.length) },
    ],
  };
}

async function selectRecords(req: OperationRequest, defaultLimit: number): Promise<Row[]> {
  const query = parseQueryRequest(requestChildren(req.element, req.table), {
    operation: req.operation,
    table: req.table,
    access: req.access,
    controls: QUERY_CONTROLS,
    defaultLimit,
  });
  return req.store.transaction((tx) => tx.select(req.table, query), { readOnly: true });
}
