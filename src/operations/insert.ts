/** insert and insertMultiple: new records, all in one transaction. */
import { clientFault, SoapFault } from "../soap/faults.js";
import type { StoredValue } from "../store/types.js";
import { parseAssignments, recordItems, type Assignments } from "./records.js";
import { requestChildren } from "./request-elements.js";
import type { OperationRequest, OperationResponse, ResponseItem } from "./types.js";
import { formatDatetime, newSysId } from "./values.js";

export async function runInsert(req: OperationRequest): Promise<OperationResponse> {
  const assignments = parseAssignments(requestChildren(req.element, req.table), req);
  const [items] = await insertRecords(req, [assignments]);
  return { items: items ?? [] };
}

export async function runInsertMultiple(req: OperationRequest): Promise<OperationResponse> {
  const records = requestChildren(req.element, req.table);
  if (records.length === 0) throw clientFault("insertMultiple needs at least one record");
  const parsed = records.map((record, index) => {
    if (record.name !== "record") throw clientFault("insertMultiple accepts only record elements");
    try {
      return parseAssignments(requestChildren(record.element, req.table), req);
    } catch (error) {
      if (error instanceof SoapFault && error.id === "badRequest") {
        throw clientFault(`Record ${index + 1}: ${error.params.detail ?? ""}`);
      }
      throw error;
    }
  });
  const results = await insertRecords(req, parsed);
  return { items: results.map((children) => ({ name: "insertResponse", children })) };
}

/** Inserts every record or none; answers each record's response items. */
async function insertRecords(req: OperationRequest, records: readonly Assignments[]): Promise<ResponseItem[][]> {
  const now = formatDatetime(req.clock.now());
  return req.store.transaction(async (tx) => {
    const results: ResponseItem[][] = [];
    for (const assignments of records) {
      const row = new Map<string, StoredValue>([
        ["sys_id", newSysId()],
        ["sys_created_on", now],
        ["sys_created_by", req.sessionUser],
        ["sys_updated_on", now],
        ["sys_updated_by", req.sessionUser],
      ]);
      for (const [name, { value }] of assignments) row.set(name, value);
      await tx.insert(req.table, row);
      results.push(recordItems(req.table, row, req.access));
    }
    return results;
  });
}
