/**
 * Stage: the operation the request asks for — the single element child of
 * the (verified) Body, in the table's namespace, naming one of the nine
 * operations of SPEC §4.
 */
import type { Element } from "../xml/tree.js";
import type { SoapEnvelope } from "../soap/envelope.js";
import { elementChildren } from "../xml/navigate.js";
import { clientFault, type SoapFault } from "../soap/faults.js";
import { isTableOperation } from "../operations/names.js";
import { tableNamespace } from "../xml/ns.js";

export type SelectOperationResult =
  | { readonly kind: "operation"; readonly name: string; readonly element: Element }
  | { readonly kind: "refused"; readonly fault: SoapFault };

export function selectOperation(envelope: SoapEnvelope, table: string): SelectOperationResult {
  const children = elementChildren(envelope.body);
  if (children.length !== 1) {
    return refused(`the SOAP Body must contain exactly one operation element, found ${children.length}`);
  }
  const element = children[0]!;
  const expectedNamespace = tableNamespace(table);
  if (element.namespaceURI !== expectedNamespace) {
    return refused(`operation element must be in namespace ${expectedNamespace}`);
  }
  const name = element.localName ?? "";
  if (!isTableOperation(name)) return refused(`unknown operation ${name.slice(0, 64)}`);
  return { kind: "operation", name, element };
}

function refused(detail: string): SelectOperationResult {
  return { kind: "refused", fault: clientFault(detail) };
}
