/**
 * The XML Schema of a published table: one global element per operation
 * request (`insert`, …) and response (`insertResponse`, …) in the table's
 * namespace, with unqualified children (SPEC §4). Served alone at
 * `GET /{table}.do?XSD` and embedded in the WSDL's `wsdl:types`.
 */
import type { ColumnDef, TableDef } from "../config/types.js";
import { NS, tableNamespace } from "../xml/ns.js";
import { operationShapes, type Field, type FieldContent } from "./operation-shapes.js";
import { el, serializeDocument, type XmlNode } from "./xml-tree.js";

export function generateXsd(table: TableDef): string {
  return serializeDocument(schemaNode(table));
}

/** The `xsd:schema` element, declaring the namespaces it uses so it stands alone. */
export function schemaNode(table: TableDef): XmlNode {
  const declarations = operationShapes(table).flatMap((shape) => [
    globalElement(shape.operation, shape.request),
    globalElement(`${shape.operation}Response`, shape.response),
  ]);
  return el(
    "xsd:schema",
    {
      "xmlns:xsd": NS.xsd,
      "xmlns:tns": tableNamespace(table.name),
      targetNamespace: tableNamespace(table.name),
      elementFormDefault: "unqualified",
      attributeFormDefault: "unqualified",
    },
    declarations,
  );
}

function globalElement(name: string, content: FieldContent & { kind: "record" }): XmlNode {
  return el("xsd:element", { name }, [complexType(content)]);
}

function complexType(content: FieldContent & { kind: "record" }): XmlNode {
  const group = content.order === "any-order" ? "xsd:all" : "xsd:sequence";
  return el("xsd:complexType", {}, [el(group, {}, content.fields.map(localElement))]);
}

function localElement(field: Field): XmlNode {
  const occurs = {
    minOccurs: field.required ? 1 : 0,
    maxOccurs: field.repeated ? "unbounded" : undefined,
  };
  const content = field.content;
  switch (content.kind) {
    case "builtin":
      return el("xsd:element", { name: field.name, type: content.type, ...occurs });
    case "column":
      return columnElement(field.name, content.column, occurs);
    case "record":
      return el("xsd:element", { name: field.name, ...occurs }, [complexType(content)]);
    default: {
      const unreachable: never = content;
      throw new Error(`unknown field content ${String(unreachable)}`);
    }
  }
}

function columnElement(
  name: string,
  column: ColumnDef,
  occurs: { minOccurs: number; maxOccurs: string | undefined },
): XmlNode {
  if (column.type === "string" && column.maxLength !== undefined) {
    return el("xsd:element", { name, ...occurs }, [
      el("xsd:simpleType", {}, [
        el("xsd:restriction", { base: "xsd:string" }, [el("xsd:maxLength", { value: column.maxLength })]),
      ]),
    ]);
  }
  return el("xsd:element", { name, type: columnXsdType(column), ...occurs });
}

/** Datetimes travel as `YYYY-MM-DD HH:MM:SS` strings (UTC), not xsd:dateTime, as on the platform. */
export function columnXsdType(column: ColumnDef): "xsd:string" | "xsd:integer" | "xsd:decimal" | "xsd:boolean" {
  switch (column.type) {
    case "string":
    case "datetime":
      return "xsd:string";
    case "integer":
      return "xsd:integer";
    case "decimal":
      return "xsd:decimal";
    case "boolean":
      return "xsd:boolean";
    default: {
      const unreachable: never = column.type;
      throw new Error(`unknown column type ${String(unreachable)}`);
    }
  }
}
