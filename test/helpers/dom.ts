/** Parses an operation element for tests, the way the gateway's one parse would. */
import { DOMParser, type Element } from "@xmldom/xmldom";

/** Parses `xml` (one element, e.g. `<insert><number>1</number></insert>`) and returns its root element. */
export function operationElement(xml: string): Element {
  const document = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`test XML is not well-formed: ${message}`);
    },
  }).parseFromString(xml, "text/xml");
  const root = document.documentElement;
  if (root === null) throw new Error("test XML has no root element");
  return root;
}
