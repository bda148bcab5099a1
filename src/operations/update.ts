/** update: new values for the columns of one record. */
import { clientFault } from "../soap/faults.js";
import type { StoredValue } from "../store/types.js";
import { parseAssignments, takeSysId } from "./records.js";
import { requestChildren } from "./request-elements.js";
import type { OperationRequest, OperationResponse } from "./types.js";
import { formatDatetime } from "./values.js";

/** An unknown sys_id is a client fault; nothing is written then. */
export async function runUpdate(req: OperationRequest): Promise<OperationResponse> {
  const { sysId, rest } = takeSysId(requestChildren(req.element, req.table));
  const assignments = parseAssignments(rest, req);
  const values = new Map<string, StoredValue>();
  for (const [name, { value }] of assignments) values.set(name, value);
  values.set("sys_updated_on", formatDatetime(req.clock.now()));
  values.set("sys_updated_by", req.sessionUser);
  await req.store.transaction(async (tx) => {
    const updated = await tx.update(req.table, { kind: "compare", column: "sys_id", op: "=", value: sysId }, values);
    if (updated === 0) throw clientFault(`No record with sys_id '${sysId}' in table ${req.table.name}`);
  });
  return { items: [{ name: "sys_id", value: sysId }] };
}
