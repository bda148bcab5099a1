/** The nine Direct Web Service operations of SPEC §4, the one list every module uses. */
export const TABLE_OPERATIONS = [
  "insert",
  "insertMultiple",
  "get",
  "getRecords",
  "getKeys",
  "update",
  "deleteRecord",
  "deleteMultiple",
  "aggregate",
] as const;

export type TableOperation = (typeof TABLE_OPERATIONS)[number];

export function isTableOperation(name: string): name is TableOperation {
  return (TABLE_OPERATIONS as readonly string[]).includes(name);
}
