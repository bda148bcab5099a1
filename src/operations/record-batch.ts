/**
 * The records of insert and insertMultiple, read from the request tree
 * straight into one flat batch for the store (`RecordBatch`: every column of
 * the table, record after record), and their response items. A record is
 * checked exactly as `parseAssignments` checks an insert's children, in the
 * same order, so every fault is the same; what differs is the cost per
 * record: column lookups, field-ACL answers and the readable response
 * columns are worked out once per request, not once per record or value.
 */
import type { ColumnDef, TableDef } from "../config/types.js";
import { clientFault, SoapFault } from "../soap/faults.js";
import { isSystemColumn, tableColumns, type RecordBatch, type StoredValue } from "../store/types.js";
import type { Element, TreeDocument } from "../xml/tree.js";
import { tableNamespace } from "../xml/ns.js";
import { canonicalTextAt, findAtom, localNameAt, nameIndexAt, NONE, sourceAt, sourceBytesAt, treePosition } from "../xml/tree-records.js";
import type { ColumnAccess } from "./access.js";
import { unknownField } from "./query-request.js";
import { readableColumns } from "./records.js";
import {
  elementText,
  elementTextAt,
  refuseRepeatedNames,
  refuseRepeats,
  scanRequestChildren,
  scanRequestChildrenAt,
  type RequestChild,
} from "./request-elements.js";
import type { ResponseItem } from "./types.js";
import type { ResponseWriter } from "../soap/response-writer.js";
import { newSysIds } from "./sys-id.js";
import { formatDatetime, formatStoredValue, parseColumnValue, quoteClientText } from "./values.js";

const UNKNOWN = 0;
const ALLOWED = 1;
const REFUSED = 2;

/** Batches of at least this many values take and give back the pooled arrays (`release`); at most this many are kept. */
const POOL_MIN_VALUES = 1024;
const POOL_MAX_VALUES = 1 << 20;
/** A canonical value at least this long, in an all-ASCII request, is echoed as the request's bytes (`ResponseWriter.bytes`); a shorter one is cheaper as text. */
const ECHO_BYTES_FROM = 4096;

/** The arrays of a released batch, cleared, for the next large one (one at a time: the largest). */
let pooled: { values: StoredValue[]; given: Uint8Array; canonicalText: Int32Array } | undefined;

export class RecordBatchReader {
  /** The batch's columns: every column of the table, configured ones first (`tableColumns`). */
  private readonly columns: readonly ColumnDef[];
  private readonly slots = new Map<string, number>();
  private readonly system: boolean[];
  private readonly tableNs: string;
  /** Field-ACL answers per column, asked on first use. */
  private readonly writable: Uint8Array;
  /**
   * Every record's values, `width` per record; allocated ahead (`reserve`,
   * then doubled as needed) and filled with null: one `push` per value made
   * this array grow one element at a time, 10–40 ms for a 1 MB request's
   * 47,000 values (docs/performance.md, "Fifth session").
   */
  private values: StoredValue[] = [];
  /** 1 where the request set the value (system columns are always set): the response echoes those. */
  private given: Uint8Array = new Uint8Array(0);
  /**
   * For a string value read from a request tree whose source is already its
   * escaped form (`canonicalTextAt`): that text record, else 0. The response
   * then echoes the source instead of escaping the value again (a text-heavy
   * 100 KB insert spent ~0.5 ms escaping its value: docs/performance.md,
   * "Sixth session").
   */
  private canonicalText: Int32Array = new Int32Array(0);
  /** The record that last set each column (repeat detection without a Set per record). */
  private readonly setBy: Int32Array;
  private readonly names: string[] = [];
  private readonly elements: Element[] = [];
  /** For a request tree (`readAt`): the children's records, their slots, and what is known of the document. */
  private readonly childRecords: number[] = [];
  private readonly childSlots: number[] = [];
  private treeDocument: TreeDocument | undefined;
  private tableAtom = NONE;
  /** By index of a name in `treeDocument.names`: its column slot, -1 for none, undefined until asked. */
  private slotByName: (number | undefined)[] = [];
  private records = 0;

  constructor(
    private readonly context: { readonly operation: string; readonly table: TableDef; readonly access: ColumnAccess },
  ) {
    this.columns = tableColumns(context.table);
    this.columns.forEach((column, slot) => this.slots.set(column.name, slot));
    this.system = this.columns.map((column) => isSystemColumn(column.name));
    this.tableNs = tableNamespace(context.table.name);
    this.writable = new Uint8Array(this.columns.length);
    this.setBy = new Int32Array(this.columns.length).fill(-1);
  }

  get recordCount(): number {
    return this.records;
  }

  /** Makes room for `records` more records at once (the caller knows how many it will read). */
  reserve(records: number): void {
    this.ensureCapacity((this.records + records) * this.columns.length);
  }

  /**
   * Reads one record from the column-value children of `element` (an
   * insert, or a `record` of insertMultiple): known, non-system, given once,
   * well-typed, writable by the caller. Throws the client fault of the first
   * problem, as `parseAssignments(requestChildren(element))` does.
   */
  read(element: Element): void {
    const position = treePosition(element);
    if (position === undefined) this.readNodes(element);
    else this.readAt(position.document, position.index);
  }

  /**
   * `read` of element record `index` of a parsed request tree, through the
   * record fields (src/xml/tree-records.ts) rather than node objects: the
   * same checks in the same order, so the same faults
   * (test/rules/insert-records-tree.test.ts).
   */
  readAt(document: TreeDocument, index: number): void {
    const { childRecords, childSlots } = this;
    if (document !== this.treeDocument) {
      // Text records are the document's: none of another document's may be echoed from this one.
      if (this.treeDocument !== undefined) this.canonicalText.fill(0);
      this.treeDocument = document;
      this.tableAtom = findAtom(document, this.tableNs);
      this.slotByName = [];
    }
    const count = scanRequestChildrenAt(document, index, this.tableAtom, childRecords);
    for (let child = 0; child < count; child++) childSlots[child] = this.slotOfName(document, nameIndexAt(document, childRecords[child]!));
    this.refuseRepeatsAt(document, count);
    const base = this.openRecord();
    let refused = false;
    for (let child = 0; child < count; child++) {
      const slot = childSlots[child]!;
      if (slot < 0) throw unknownField(localNameAt(document, childRecords[child]!), this.context.table);
      const column = this.settableColumn(slot);
      const element = childRecords[child]!;
      const text = elementTextAt(document, element, column.name);
      if (!this.setValue(base, slot, text)) refused = true;
      // Stored as read (a string column keeps its text): its escaped form may be the source.
      if (text !== null && this.values[base + slot] === text) {
        const record = canonicalTextAt(document, element);
        if (record !== NONE) this.canonicalText[base + slot] = record;
      }
    }
    if (refused) throw new SoapFault("insufficientRights", { operation: this.context.operation, table: this.context.table.name });
    this.records++;
  }

  /** `read` through the DOM's node objects (any DOM: @xmldom in tests and tools). */
  private readNodes(element: Element): void {
    const { names, elements } = this;
    let count = 0;
    scanRequestChildren(element, this.tableNs, (name, child) => {
      names[count] = name;
      elements[count++] = child;
    });
    this.refuseRepeats(count);
    const base = this.openRecord();
    let refused = false;
    for (let index = 0; index < count; index++) {
      const name = names[index]!;
      const slot = this.slots.get(name);
      if (slot === undefined) throw unknownField(name, this.context.table);
      this.settableColumn(slot);
      if (!this.setValue(base, slot, elementText(elements[index]!, name))) refused = true;
    }
    if (refused) throw new SoapFault("insufficientRights", { operation: this.context.operation, table: this.context.table.name });
    this.records++;
  }

  /** The column of `slot`; a system column is refused (before its value's text is read, as `parseAssignments` does). */
  private settableColumn(slot: number): ColumnDef {
    const column = this.columns[slot]!;
    if (this.system[slot]) throw clientFault(`Field '${column.name}' is a system field and cannot be set`);
    return column;
  }

  /** Sets column `slot` of the record at `base` from `text` (null: nil); false when the caller may not write that column. */
  private setValue(base: number, slot: number, text: string | null): boolean {
    this.values[base + slot] = text === null ? null : parseColumnValue(this.columns[slot]!, text);
    this.given[base + slot] = 1;
    return this.canWrite(slot);
  }

  /** The index of the next record's first value (its values are null and not given until set). */
  private openRecord(): number {
    const base = this.records * this.columns.length;
    this.ensureCapacity(base + this.columns.length);
    return base;
  }

  private ensureCapacity(length: number): void {
    this.assertLive();
    if (length <= this.values.length) return;
    const capacity = Math.max(length, this.values.length * 2);
    let values: StoredValue[];
    let given: Uint8Array;
    let canonicalText: Int32Array;
    const spare = pooled;
    if (capacity >= POOL_MIN_VALUES && spare !== undefined && spare.values.length >= capacity) {
      pooled = undefined; // cleared when it was released
      ({ values, given, canonicalText } = spare);
    } else {
      values = new Array<StoredValue>(capacity).fill(null);
      given = new Uint8Array(capacity);
      canonicalText = new Int32Array(capacity);
    }
    const used = this.records * this.columns.length;
    for (let index = 0; index < used; index++) values[index] = this.values[index]!;
    given.set(this.given.subarray(0, used));
    canonicalText.set(this.canonicalText.subarray(0, used));
    this.values = values;
    this.given = given;
    this.canonicalText = canonicalText;
  }

  /**
   * Ends the batch's life once its request is answered (`performOperation`,
   * after the response is written): its arrays, cleared, are kept for the
   * next large batch, since on this VM a fresh 47,000-value array cost
   * 1–18 ms where clearing a used one costs 40–90 µs (docs/performance.md,
   * "Fifth session"). Reading the batch afterwards throws.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const { values, given, canonicalText } = this;
    this.values = [];
    this.given = new Uint8Array(0);
    this.canonicalText = new Int32Array(0);
    this.treeDocument = undefined;
    if (given.length < POOL_MIN_VALUES || given.length > POOL_MAX_VALUES) return;
    if (pooled !== undefined && pooled.given.length >= given.length) return;
    values.fill(null); // no value of this request stays reachable
    given.fill(0);
    canonicalText.fill(0);
    pooled = { values, given, canonicalText };
  }

  private released = false;

  private assertLive(): void {
    if (this.released) throw new Error("record batch used after its request ended");
  }

  /** The slot of the column named by name `name` of `document.names` (by its local name), -1 when no column has it. */
  private slotOfName(document: TreeDocument, name: number): number {
    let slot = this.slotByName[name];
    if (slot === undefined) {
      slot = this.slots.get(document.names[name]!.localName) ?? -1;
      this.slotByName[name] = slot;
    }
    return slot;
  }

  /** `refuseRepeats` for `readAt`: by slot, or by local name when a name is no column. */
  private refuseRepeatsAt(document: TreeDocument, count: number): void {
    const record = this.records;
    for (let child = 0; child < count; child++) {
      const slot = this.childSlots[child]!;
      if (slot < 0) {
        const names: string[] = [];
        for (let i = 0; i < count; i++) names.push(localNameAt(document, this.childRecords[i]!));
        refuseRepeatedNames(names);
        return;
      }
      if (this.setBy[slot] === record) throw clientFault(`Field ${quoteClientText(localNameAt(document, this.childRecords[child]!))} is given more than once`);
      this.setBy[slot] = record;
    }
  }

  /** The records read, with their system columns set: a fresh sys_id each (`newSysIds`), created/updated at `instant` by `user`. */
  finish(instant: Date, user: string): RecordBatch {
    this.assertLive();
    const width = this.columns.length;
    const now = formatDatetime(instant);
    const sysIds = newSysIds(this.records, instant.getTime());
    const system: Record<string, (record: number) => StoredValue> = {
      sys_id: (record) => sysIds[record]!,
      sys_created_on: () => now,
      sys_created_by: () => user,
      sys_updated_on: () => now,
      sys_updated_by: () => user,
    };
    this.columns.forEach((column, slot) => {
      if (!this.system[slot]) return;
      const valueOf = system[column.name];
      if (valueOf === undefined) throw new Error(`no value for system column ${column.name}`);
      for (let record = 0; record < this.records; record++) this.values[record * width + slot] = valueOf(record);
    });
    this.values.length = this.records * width; // room reserved and not used
    return { columns: this.columns.map((column) => column.name), values: this.values };
  }

  /** The readable columns of record `record` (0-based) that were set, as response items (`recordItems` order). */
  responseItems(record: number): ResponseItem[] {
    this.assertLive();
    const base = record * this.columns.length;
    const items: ResponseItem[] = [];
    for (const { slot, name } of this.readableColumns()) {
      if (this.system[slot] || this.given[base + slot] === 1) items.push({ name, value: formatStoredValue(this.values[base + slot] ?? null) });
    }
    return items;
  }

  /**
   * Writes, for every record, `<{element}>` (none when `element` is
   * undefined) and the XML of its `responseItems` to `out`: the same bytes
   * as those items would give, without making them
   * (test/rules/response-writer.test.ts). A value whose source in the
   * request is already its escaped form is echoed from the source.
   */
  writeResponseRecords(out: ResponseWriter, element: string | undefined): void {
    this.assertLive();
    const open = element === undefined ? "" : `<${element}>`;
    const close = element === undefined ? "" : `</${element}>`;
    const columns = this.readableColumns().map(({ slot, name }) => ({ slot, system: this.system[slot]!, open: `<${name}>`, close: `</${name}>` }));
    const { values, given, canonicalText, treeDocument } = this;
    const width = this.columns.length;
    for (let record = 0; record < this.records; record++) {
      const base = record * width;
      if (open !== "") out.markup(open);
      for (let index = 0; index < columns.length; index++) {
        const column = columns[index]!;
        const at = base + column.slot;
        if (!column.system && given[at] !== 1) continue;
        const text = canonicalText[at]!;
        if (text !== 0 && treeDocument !== undefined) {
          const bytes = sourceBytesAt(treeDocument, text);
          if (bytes !== undefined && bytes.length >= ECHO_BYTES_FROM) {
            out.markup(column.open);
            out.bytes(bytes);
            out.markup(column.close);
          } else out.markup(column.open + sourceAt(treeDocument, text) + column.close);
          continue;
        }
        const value = values[at]!;
        out.element(column.open, typeof value === "string" ? value : formatStoredValue(value), column.close);
      }
      if (close !== "") out.markup(close);
    }
  }

  private readable: { slot: number; name: string }[] | undefined;

  private readableColumns(): { slot: number; name: string }[] {
    this.readable ??= readableColumns(this.context.table, this.context.access).map((column) => ({
      slot: this.slots.get(column.name)!,
      name: column.name,
    }));
    return this.readable;
  }

  private canWrite(slot: number): boolean {
    if (this.writable[slot] === UNKNOWN) {
      this.writable[slot] = this.context.access.canWrite(this.columns[slot]!.name) ? ALLOWED : REFUSED;
    }
    return this.writable[slot] === ALLOWED;
  }

  /** `refuseRepeats` over the record's children: by column, or by name when a name is no column. */
  private refuseRepeats(count: number): void {
    const record = this.records;
    for (let index = 0; index < count; index++) {
      const slot = this.slots.get(this.names[index]!);
      if (slot === undefined) {
        const children: RequestChild[] = [];
        for (let i = 0; i < count; i++) children.push({ name: this.names[i]!, element: this.elements[i]! });
        refuseRepeats(children);
        return;
      }
      if (this.setBy[slot] === record) throw clientFault(`Field ${quoteClientText(this.names[index]!)} is given more than once`);
      this.setBy[slot] = record;
    }
  }
}
