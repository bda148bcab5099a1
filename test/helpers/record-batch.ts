/** Record batches for the stores' insertBatch tests: every column of INCIDENT, record after record. */
import type { RecordBatch, StoredValue } from "../../src/store/types.js";
import { tableColumns } from "../../src/store/types.js";
import { INCIDENT } from "./table-fixture.js";

export const INCIDENT_COLUMNS = tableColumns(INCIDENT).map((column) => column.name);

export function batchSysId(index: number): string {
  return index.toString(16).padStart(32, "0");
}

/**
 * `count` records numbered B0…: every type, a NULL in every third record;
 * with `lastRepeatsFirst` the last record takes the first record's sys_id
 * (a primary-key violation the store only finds at that record).
 */
export function incidentBatch(count: number, options: { readonly lastRepeatsFirst?: boolean } = {}): RecordBatch {
  const values: StoredValue[] = [];
  for (let index = 0; index < count; index++) {
    const sysId = options.lastRepeatsFirst && index === count - 1 ? batchSysId(0) : batchSysId(index);
    const byName: Record<string, StoredValue> = {
      number: `B${index}`,
      short_description: index % 3 === 0 ? null : `d'"${index}\\`,
      priority: index,
      cost: index % 3 === 0 ? null : index / 4,
      active: index % 2 === 0,
      opened_at: "2024-05-01 10:00:00",
      sys_id: sysId,
      sys_created_on: "2024-05-01 10:00:00",
      sys_created_by: "tester",
      sys_updated_on: "2024-05-01 10:00:00",
      sys_updated_by: "tester",
    };
    for (const name of INCIDENT_COLUMNS) values.push(byName[name] ?? null);
  }
  return { columns: INCIDENT_COLUMNS, values };
}
