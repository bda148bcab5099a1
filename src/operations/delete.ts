/** deleteRecord and deleteMultiple. */
import { clientFault } from "../soap/faults.js";
import { MAX_ROW_LIMIT, parseQueryRequest } from "./query-request.js";
import { refuseExtraChildren, takeSysId } from "./records.js";
import { requestChildren } from "./request-elements.js";
import type { OperationRequest, OperationResponse } from "./types.js";

/** `count` is 1 when the record existed, 0 when it did not. */
export async function runDeleteRecord(req: OperationRequest): Promise<OperationResponse> {
  const { sysId, rest } = takeSysId(requestChildren(req.element, req.table));
  refuseExtraChildren(rest, req.operation, req.table);
  const count = await req.store.transaction((tx) =>
    tx.delete(req.table, { kind: "compare", column: "sys_id", op: "=", value: sysId }),
  );
  return { items: [{ name: "count", value: String(count) }] };
}

/** Deletes every matching record; at least one condition is required, so no request empties a table by accident. */
export async function runDeleteMultiple(req: OperationRequest): Promise<OperationResponse> {
  const query = parseQueryRequest(requestChildren(req.element, req.table), {
    operation: req.operation,
    table: req.table,
    access: req.access,
    controls: ["__encoded_query"],
    defaultLimit: MAX_ROW_LIMIT,
  });
  if (!query.hasConditions) throw clientFault("deleteMultiple needs at least one filter");
  const count = await req.store.transaction((tx) => tx.delete(req.table, query.filter));
  return { items: [{ name: "count", value: String(count) }] };
}
