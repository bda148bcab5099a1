/** What an operation receives and answers (the contract of runOperation). */
import type { Element } from "../xml/tree.js";
import type { Clock } from "../clock.js";
import type { TableDef } from "../config/types.js";
import type { Store } from "../store/types.js";
import type { ColumnAccess } from "./access.js";
import type { ResponseWriter } from "../soap/response-writer.js";

export interface OperationRequest {
  readonly table: TableDef;
  /** Local name of the Body's child, e.g. "insert". */
  readonly operation: string;
  /** That child element, already namespace-checked by the caller. */
  readonly element: Element;
  /** The user_name written to sys_created_by / sys_updated_by. */
  readonly sessionUser: string;
  readonly store: Store;
  /** Field-level ACLs. */
  readonly access: ColumnAccess;
  /** sys_created_on / sys_updated_on come from it. */
  readonly clock: Clock;
}

export type ResponseItem =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly children: readonly ResponseItem[] };

export interface OperationResponse {
  /** The children of `{operation}Response`, in order. */
  readonly items: readonly ResponseItem[];
  /**
   * Writes exactly the XML of `items` to `out` without making them (an
   * operation with many items: insertMultiple); the gateway's encoder uses
   * it when present (`encodeResponse`, src/soap/response.ts).
   */
  readonly writeItems?: (out: ResponseWriter) => void;
  /** Ends the response's life once it is written (insertMultiple gives its batch's arrays back for the next request); reading it afterwards throws. */
  readonly release?: () => void;
}
