/** A real SQLite store in a temp dir, an `incident` table, and a way to run operation XML against them. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/clock.js";
import type { ColumnDef, TableDef } from "../../src/config/types.js";
import { ALLOW_ALL_COLUMNS, runOperation, type ColumnAccess, type OperationResponse, type ResponseItem } from "../../src/operations/index.js";
import { SoapFault } from "../../src/soap/faults.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/types.js";
import { operationElement } from "./dom.js";

export function tableDef(name: string, columns: readonly ColumnDef[]): TableDef {
  return { name, columns: new Map(columns.map((column) => [column.name, column])) };
}

export const INCIDENT = tableDef("incident", [
  { name: "number", type: "string", maxLength: 10 },
  { name: "short_description", type: "string", maxLength: undefined },
  { name: "priority", type: "integer", maxLength: undefined },
  { name: "cost", type: "decimal", maxLength: undefined },
  { name: "active", type: "boolean", maxLength: undefined },
  { name: "opened_at", type: "datetime", maxLength: undefined },
]);

export interface TestStore {
  readonly store: Store;
  readonly dir: string;
  readonly path: string;
  readonly clock: ManualClock;
  run(xml: string, options?: { access?: ColumnAccess; user?: string; table?: TableDef }): Promise<OperationResponse>;
  close(): Promise<void>;
}

/** A fresh SQLite file in a temp dir, or the store at `storeUrl` (e.g. a throw-away PostgreSQL database). */
export async function openTestStore(tables: readonly TableDef[] = [INCIDENT], storeUrl?: string): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-store-"));
  const path = join(dir, "data", "gateway.db");
  const store = await openStore(storeUrl ?? `sqlite:${path}`);
  await store.ensureTables(tables);
  const clock = new ManualClock("2024-03-01T10:00:00Z");
  return {
    store,
    dir,
    path,
    clock,
    run(xml, options = {}) {
      const element = operationElement(xml);
      return runOperation({
        table: options.table ?? tables[0]!,
        operation: element.localName ?? "",
        element,
        sessionUser: options.user ?? "partner.soap",
        store,
        access: options.access ?? ALLOW_ALL_COLUMNS,
        clock,
      });
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The name → value pairs of flat response items (nested items are refused). */
export function flat(items: readonly ResponseItem[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items) {
    assert.ok("value" in item, `item ${item.name} has children`);
    result[item.name] = item.value;
  }
  return result;
}

/** The flat children of each nested item named `name`. */
export function records(response: OperationResponse, name: string): Record<string, string>[] {
  return response.items.map((item) => {
    assert.equal(item.name, name);
    assert.ok("children" in item, `item ${item.name} has no children`);
    return flat(item.children);
  });
}

/** Asserts a client fault with exactly this message. */
export async function assertClientFault(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SoapFault, `expected a SoapFault, got ${String(error)}`);
    assert.equal(error.id, "badRequest");
    assert.equal(error.message, message);
    return true;
  });
}

export async function countRows(store: Store, table: TableDef = INCIDENT): Promise<number> {
  return store.transaction((tx) => tx.count(table, { kind: "all" }));
}
