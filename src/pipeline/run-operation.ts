/** Stage: the table operation, in one store transaction (SPEC §5 step 7), serialized as the SOAP response (UTF-8 bytes). */
import type { Element } from "../xml/tree.js";
import type { Clock } from "../clock.js";
import type { TableDef } from "../config/types.js";
import { runOperation, type ColumnAccess } from "../operations/index.js";
import type { SoapVersion } from "../soap/envelope.js";
import { encodeResponse } from "../soap/response.js";
import type { Store } from "../store/types.js";

export async function performOperation(input: {
  readonly version: SoapVersion;
  readonly table: TableDef;
  readonly operation: string;
  readonly element: Element;
  readonly sessionUser: string;
  readonly access: ColumnAccess;
  readonly store: Store;
  readonly clock: Clock;
}): Promise<Buffer> {
  const response = await runOperation({
    table: input.table,
    operation: input.operation,
    element: input.element,
    sessionUser: input.sessionUser,
    store: input.store,
    access: input.access,
    clock: input.clock,
  });
  try {
    return encodeResponse(input.version, input.table.name, input.operation, response);
  } finally {
    response.release?.();
  }
}
