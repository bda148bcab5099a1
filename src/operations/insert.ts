/** insert and insertMultiple: new records, all in one transaction. */
import { clientFault, SoapFault } from "../soap/faults.js";
import { tableNamespace } from "../xml/ns.js";
import { findAtom, localNameAt, treePosition, type TreePosition } from "../xml/tree-records.js";
import { RecordBatchReader } from "./record-batch.js";
import { requestChildren, scanRequestChildrenAt } from "./request-elements.js";
import type { OperationRequest, OperationResponse, ResponseItem } from "./types.js";

export async function runInsert(req: OperationRequest): Promise<OperationResponse> {
  const reader = new RecordBatchReader(req);
  reader.read(req.element);
  await insertRecords(req, reader);
  return batchResponse(reader, undefined);
}

export async function runInsertMultiple(req: OperationRequest): Promise<OperationResponse> {
  const reader = new RecordBatchReader(req);
  const position = treePosition(req.element);
  if (position === undefined) readRecordNodes(req, reader);
  else readRecordsAt(req, reader, position);
  await insertRecords(req, reader);
  return batchResponse(reader, "insertResponse");
}

/**
 * The response of an insert (`recordName` undefined: the record's fields)
 * or an insertMultiple (one `recordName` element per record), written
 * straight from the batch: a value whose request source is already escaped
 * is echoed as it came. `items` are made only when asked (tests, tools).
 */
function batchResponse(reader: RecordBatchReader, recordName: string | undefined): OperationResponse {
  let items: ResponseItem[] | undefined;
  return {
    get items(): ResponseItem[] {
      if (items === undefined) {
        if (recordName === undefined) items = reader.responseItems(0);
        else {
          items = new Array<ResponseItem>(reader.recordCount);
          for (let record = 0; record < reader.recordCount; record++) items[record] = { name: recordName, children: reader.responseItems(record) };
        }
      }
      return items;
    },
    writeItems: (out) => reader.writeResponseRecords(out, recordName),
    release: () => reader.release(),
  };
}

/** The `record` children of insertMultiple, read through the DOM's node objects (any DOM). */
function readRecordNodes(req: OperationRequest, reader: RecordBatchReader): void {
  const records = requestChildren(req.element, req.table);
  if (records.length === 0) throw clientFault("insertMultiple needs at least one record");
  reader.reserve(records.length);
  records.forEach((record, index) => {
    if (record.name !== "record") throw clientFault("insertMultiple accepts only record elements");
    readRecord(index, () => reader.read(record.element));
  });
}

/** `readRecordNodes` on a parsed request tree, by record index (no node objects; same checks and faults). */
function readRecordsAt(req: OperationRequest, reader: RecordBatchReader, { document, index }: TreePosition): void {
  const records: number[] = [];
  const count = scanRequestChildrenAt(document, index, findAtom(document, tableNamespace(req.table.name)), records);
  if (count === 0) throw clientFault("insertMultiple needs at least one record");
  reader.reserve(count);
  for (let record = 0; record < count; record++) {
    if (localNameAt(document, records[record]!) !== "record") throw clientFault("insertMultiple accepts only record elements");
    readRecord(record, () => reader.readAt(document, records[record]!));
  }
}

/** Reads record `index` (0-based): a client fault names it (`Record N: …`). */
function readRecord(index: number, read: () => void): void {
  try {
    read();
  } catch (error) {
    if (error instanceof SoapFault && error.id === "badRequest") {
      throw clientFault(`Record ${index + 1}: ${error.params.detail ?? ""}`);
    }
    throw error;
  }
}

/** Inserts every record read, or none: every value was checked before the transaction starts. */
async function insertRecords(req: OperationRequest, reader: RecordBatchReader): Promise<void> {
  const batch = reader.finish(req.clock.now(), req.sessionUser);
  await req.store.transaction((tx) => tx.insertBatch(req.table, batch));
}
