/**
 * The WSDL 1.1 of a published table (SPEC §3 `GET /{table}.do?WSDL`), in the
 * shape of the platform's Direct Web Service WSDL: document/literal, one
 * portType `ServiceNowSoap` with the nine operations, SOAP 1.1 and SOAP 1.2
 * bindings, service `ServiceNow`. The WS-SecurityPolicy that the active
 * security policy implies is attached to every operation's input.
 */
import type { GatewayConfig, SecurityPolicy, TableDef, WssProfile } from "../config/types.js";
import { NS, SOAP_HTTP_TRANSPORT, tableNamespace } from "../xml/ns.js";
import { TABLE_OPERATIONS, type TableOperation } from "./operation-shapes.js";
import {
  impliedSecurityPolicy,
  INPUT_POLICY_ID,
  POLICY_NAMESPACE_DECLARATIONS,
  securityPolicyNode,
} from "./security-policy.js";
import { schemaNode } from "./xsd.js";
import { el, serializeDocument, type XmlNode } from "./xml-tree.js";

/** The XSD travels with the WSDL: `GET /{table}.do?XSD` serves it from here too. */
export { generateXsd } from "./xsd.js";

export interface WsdlInput {
  readonly table: TableDef;
  /** `http(s)://host/{table}.do?SOAP`, as the client reached us. */
  readonly endpointUrl: string;
  /** The `default_policy`, or undefined when no policies are configured. */
  readonly policy: SecurityPolicy | undefined;
  readonly profiles: readonly WssProfile[];
  readonly wsSecurityRequired: boolean;
}

/** The WSDL input for a published table under a loaded configuration. */
export function wsdlInputFor(config: GatewayConfig, table: TableDef, endpointUrl: string): WsdlInput {
  return {
    table,
    endpointUrl,
    policy: config.policies.find((policy) => policy.name === config.gateway.wsSecurity.defaultPolicy),
    profiles: config.profiles,
    wsSecurityRequired: config.gateway.wsSecurity.required,
  };
}

export const PORT_TYPE_NAME = "ServiceNowSoap";
export const SERVICE_NAME = "ServiceNow";

/** Binding and port names per SOAP version; the SOAP 1.1 port comes first, so it is a client's default. */
const BINDINGS = [
  { name: "ServiceNowSoap", soapPrefix: "soap" },
  { name: "ServiceNowSoap12", soapPrefix: "soap12" },
] as const;
type BindingSpec = (typeof BINDINGS)[number];

export function generateWsdl(input: WsdlInput): string {
  const table = input.table.name;
  const policy = securityPolicyNode(impliedSecurityPolicy(input));
  const children: XmlNode[] = [
    ...(policy ? [policy] : []),
    el("wsdl:types", {}, [schemaNode(input.table)]),
    ...TABLE_OPERATIONS.flatMap(messages),
    el("wsdl:portType", { name: PORT_TYPE_NAME }, TABLE_OPERATIONS.map(portTypeOperation)),
    ...BINDINGS.map((binding) => bindingNode(binding, table, policy !== undefined)),
    el(
      "wsdl:service",
      { name: SERVICE_NAME },
      BINDINGS.map((binding) =>
        el("wsdl:port", { name: binding.name, binding: `tns:${binding.name}` }, [
          el(`${binding.soapPrefix}:address`, { location: input.endpointUrl }),
        ]),
      ),
    ),
  ];
  return serializeDocument(
    el(
      "wsdl:definitions",
      {
        "xmlns:wsdl": NS.wsdl,
        "xmlns:soap": NS.wsdlSoap11,
        "xmlns:soap12": NS.wsdlSoap12,
        "xmlns:xsd": NS.xsd,
        "xmlns:tns": tableNamespace(table),
        ...(policy ? POLICY_NAMESPACE_DECLARATIONS : {}),
        targetNamespace: tableNamespace(table),
      },
      children,
    ),
  );
}

function requestMessageName(operation: TableOperation): string {
  return `${operation}SoapIn`;
}

function responseMessageName(operation: TableOperation): string {
  return `${operation}SoapOut`;
}

function messages(operation: TableOperation): XmlNode[] {
  return [
    el("wsdl:message", { name: requestMessageName(operation) }, [
      el("wsdl:part", { name: "parameters", element: `tns:${operation}` }),
    ]),
    el("wsdl:message", { name: responseMessageName(operation) }, [
      el("wsdl:part", { name: "parameters", element: `tns:${operation}Response` }),
    ]),
  ];
}

function portTypeOperation(operation: TableOperation): XmlNode {
  return el("wsdl:operation", { name: operation }, [
    el("wsdl:input", { message: `tns:${requestMessageName(operation)}` }),
    el("wsdl:output", { message: `tns:${responseMessageName(operation)}` }),
  ]);
}

function bindingNode(binding: BindingSpec, table: string, withPolicy: boolean): XmlNode {
  const soap = binding.soapPrefix;
  const operations = TABLE_OPERATIONS.map((operation) =>
    el("wsdl:operation", { name: operation }, [
      el(`${soap}:operation`, { soapAction: `${tableNamespace(table)}/${operation}`, style: "document" }),
      el("wsdl:input", {}, [
        ...(withPolicy ? [el("wsp:PolicyReference", { URI: `#${INPUT_POLICY_ID}` })] : []),
        el(`${soap}:body`, { use: "literal" }),
      ]),
      el("wsdl:output", {}, [el(`${soap}:body`, { use: "literal" })]),
    ]),
  );
  return el("wsdl:binding", { name: binding.name, type: `tns:${PORT_TYPE_NAME}` }, [
    el(`${soap}:binding`, { style: "document", transport: SOAP_HTTP_TRANSPORT }),
    ...operations,
  ]);
}
