/** insert and insertMultiple: new records, all in one transaction. */
import { clientFault, SoapFault } from "../soap/faults.js";
import { RecordBatchReader } from "./record-batch.js";
import { requestChildren } from "./request-elements.js";
import type { OperationRequest, OperationResponse, ResponseItem } from "./types.js";

export async function runInsert(req: OperationRequest): Promise<OperationResponse> {
  const reader = new RecordBatchReader(req);
  reader.read(req.element);
  await insertRecords(req, reader);
  return { items: reader.responseItems(0) };
}

export async function runInsertMultiple(req: OperationRequest): Promise<OperationResponse> {
  const records = requestChildren(req.element, req.table);
  if (records.length === 0) throw clientFault("insertMultiple needs at least one record");
  const reader = new RecordBatchReader(req);
  records.forEach((record, index) => {
    if (record.name !== "record") throw clientFault("insertMultiple accepts only record elements");
    try {
      reader.read(record.element);
    } catch (error) {
      if (error instanceof SoapFault && error.id === "badRequest") {
        throw clientFault(`Record ${index + 1}: ${error.params.detail ?? ""}`);
      }
      throw error;
    }
  });
  await insertRecords(req, reader);
  const items: ResponseItem[] = new Array(reader.recordCount);
  for (let record = 0; record < reader.recordCount; record++) {
    items[record] = { name: "insertResponse", children: reader.responseItems(record) };
  }
  return { items };
}

/** Inserts every record read, or none: every value was checked before the transaction starts. */
async function insertRecords(req: OperationRequest, reader: RecordBatchReader): Promise<void> {
  const batch = reader.finish(req.clock.now(), req.sessionUser);
  await req.store.transaction((tx) => tx.insertBatch(req.table, batch));
}
