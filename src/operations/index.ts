/**
 * The nine table operations (SPEC §4). The caller has already admitted the
 * request (Basic auth, WS-Security, roles, record ACLs) and checked the
 * operation element's namespace; this module validates the operation's
 * children, runs it in one store transaction and returns the children of
 * `{operation}Response`.
 */
import { clientFault } from "../soap/faults.js";
import { runAggregate } from "./aggregate.js";
import { runDeleteMultiple, runDeleteRecord } from "./delete.js";
import { runGet, runGetKeys, runGetRecords } from "./get.js";
import { runInsert, runInsertMultiple } from "./insert.js";
import { runUpdate } from "./update.js";
import type { OperationRequest, OperationResponse } from "./types.js";
import { quoteClientText } from "./values.js";

import { isTableOperation } from "./names.js";

export { ALLOW_ALL_COLUMNS, type ColumnAccess } from "./access.js";
export type { OperationRequest, OperationResponse, ResponseItem } from "./types.js";

export { TABLE_OPERATIONS, isTableOperation, type TableOperation } from "./names.js";

export async function runOperation(req: OperationRequest): Promise<OperationResponse> {
  const operation = req.operation;
  if (!isTableOperation(operation)) throw clientFault(`Unknown operation ${quoteClientText(operation)}`);
  switch (operation) {
    case "insert":
      return runInsert(req);
    case "insertMultiple":
      return runInsertMultiple(req);
    case "get":
      return runGet(req);
    case "getRecords":
      return runGetRecords(req);
    case "getKeys":
      return runGetKeys(req);
    case "update":
      return runUpdate(req);
    case "deleteRecord":
      return runDeleteRecord(req);
    case "deleteMultiple":
      return runDeleteMultiple(req);
    case "aggregate":
      return runAggregate(req);
    default: {
      const unreachable: never = operation;
      throw new Error(`unhandled operation ${String(unreachable)}`);
    }
  }
}
