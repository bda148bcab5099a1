/**
 * A tiny tree of XML elements, serialised with two-space indentation. The
 * WSDL and XSD are built as trees rather than string templates so that every
 * name and value passes through one escaping function.
 */

export type XmlAttributes = Readonly<Record<string, string | number | undefined>>;

export type XmlNode =
  | {
      readonly kind: "element";
      readonly name: string;
      readonly attributes: XmlAttributes;
      readonly children: readonly XmlNode[];
    }
  /** A fragment that is already well-formed XML (a loaded template), inserted verbatim. */
  | { readonly kind: "raw"; readonly xml: string }
  | { readonly kind: "comment"; readonly text: string };

export function el(
  name: string,
  attributes: XmlAttributes = {},
  children: readonly XmlNode[] = [],
): XmlNode {
  return { kind: "element", name, attributes, children };
}

export function raw(xml: string): XmlNode {
  return { kind: "raw", xml };
}

export function comment(text: string): XmlNode {
  // "--" may not appear inside a comment.
  return { kind: "comment", text: text.replace(/--/g, "- -") };
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export function serializeDocument(root: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serialize(root, 0)}\n`;
}

function serialize(node: XmlNode, depth: number): string {
  const indent = "  ".repeat(depth);
  switch (node.kind) {
    case "raw":
      return node.xml
        .split("\n")
        .map((line) => (line.trim() === "" ? "" : indent + line))
        .filter((line) => line !== "")
        .join("\n");
    case "comment":
      return `${indent}<!-- ${node.text} -->`;
    case "element": {
      const attributes = Object.entries(node.attributes)
        .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
        .map(([name, value]) => ` ${name}="${escapeXml(String(value))}"`)
        .join("");
      if (node.children.length === 0) return `${indent}<${node.name}${attributes}/>`;
      const children = node.children.map((child) => serialize(child, depth + 1)).join("\n");
      return `${indent}<${node.name}${attributes}>\n${children}\n${indent}</${node.name}>`;
    }
    default: {
      const unreachable: never = node;
      throw new Error(`unknown XML node ${String(unreachable)}`);
    }
  }
}
