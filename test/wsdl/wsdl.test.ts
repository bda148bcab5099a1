/**
 * The WSDL 1.1 and XSD generated per table (SPEC §3, §4), the WS-SecurityPolicy
 * they carry (SPEC §5), and proof that real clients — node-soap and Python
 * zeep — build working proxies from the generated file.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import soap from "soap";
import { loadConfig } from "../../src/config/load.js";
import type { GatewayConfig, TableDef } from "../../src/config/types.js";
import { generateWsdl, wsdlInputFor } from "../../src/wsdl/generate.js";
import { generateXsd } from "../../src/wsdl/xsd.js";
import { NS } from "../../src/xml/ns.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

const INCIDENT_NS = "http://www.service-now.com/incident";
const ENDPOINT = "https://gateway.example/incident.do?SOAP";
const NINE_OPERATIONS = [
  "insert",
  "insertMultiple",
  "get",
  "getRecords",
  "getKeys",
  "update",
  "deleteRecord",
  "deleteMultiple",
  "aggregate",
];
const QUERY_CONTROLS = ["__encoded_query", "__limit", "__first_row", "__last_row", "__order_by", "__order_by_desc"];
const SYSTEM_COLUMNS = ["sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"];
const INCIDENT_COLUMNS = ["number", "short_description", "priority", "active", "opened_at", "cost"];
/** The order of a record in responses: sys_id, the configured columns, the other system columns. */
const RECORD_ORDER = ["sys_id", ...INCIDENT_COLUMNS, ...SYSTEM_COLUMNS.slice(1)];
const ZEEP_CLIENT = new URL("../clients/zeep_client.py", import.meta.url).pathname;
const DEBIAN_PYTHON = "/usr/bin/python3";

const TABLES_YAML = `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
      active: {type: boolean}
      opened_at: {type: datetime}
      cost: {type: decimal}
`;

const SECURE_GATEWAY_YAML = `basic_auth:
  required: true
ws_security:
  required: true
  default_policy: Default Security Policy
`;

const PROFILES_YAML = `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    run_as_user: alice
    certificate: partner.pem
  - name: Partner credentials
    type: username
    order: 200
    action: authenticate_with_user
    user_field: user_name
  - name: Retired credentials
    type: username
    active: false
    order: 300
    action: authenticate_with_user
    user_field: email
`;

function policiesYaml(policy: { type?: string; requireSigned: boolean; authenticate: string; profiles: string[]; requireTimestamp?: boolean }) {
  const timestamp = policy.requireTimestamp === undefined ? "" : `    require_timestamp: ${policy.requireTimestamp}\n`;
  return `policies:
  - name: Default Security Policy
    type: ${policy.type ?? "inbound"}
${policy.type === "outbound" ? "" : `    require_signed: ${policy.requireSigned}\n    authenticate: ${policy.authenticate}\n${timestamp}`}    profiles: [${policy.profiles.join(", ")}]
`;
}

function loadFixture(files: { gateway?: string; profiles?: string; policies?: string } = {}): GatewayConfig {
  const dir = makeConfigDir({ tables: TABLES_YAML, ...files });
  if (files.profiles?.includes("partner.pem")) makeCertificate(dir, "partner", { key: "rsa2048" });
  return loadConfig(dir);
}

function incident(config: GatewayConfig): TableDef {
  const table = config.tables.get("incident");
  assert.ok(table, "the fixture publishes incident");
  return table;
}

function wsdlOf(config: GatewayConfig, endpointUrl = ENDPOINT): string {
  return generateWsdl(wsdlInputFor(config, incident(config), endpointUrl));
}

function parseStrict(xml: string): Document {
  return new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`not well-formed: ${String(message)}`);
    },
  }).parseFromString(xml, "text/xml");
}

function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    if (element.namespaceURI === namespace && element.localName === localName) found.push(element);
  }
  return found;
}

function onlyChild(parent: Element, namespace: string, localName: string): Element {
  const found = childElements(parent, namespace, localName);
  assert.equal(found.length, 1, `exactly one ${localName} under ${parent.localName}`);
  return found[0]!;
}

function named(elements: Element[], name: string): Element {
  const match = elements.filter((element) => element.getAttribute("name") === name);
  assert.equal(match.length, 1, `exactly one element named ${name}`);
  return match[0]!;
}

function schemaOf(document: Document): Element {
  const root = document.documentElement!;
  if (root.namespaceURI === NS.xsd) return root;
  return onlyChild(onlyChild(root, NS.wsdl, "types"), NS.xsd, "schema");
}

/** The local element declarations directly inside a global element's complexType (all or sequence). */
function contentOf(element: Element): Map<string, Element> {
  const complexType = onlyChild(element, NS.xsd, "complexType");
  const groups = [...childElements(complexType, NS.xsd, "all"), ...childElements(complexType, NS.xsd, "sequence")];
  assert.equal(groups.length, 1, `${element.getAttribute("name")} has one model group`);
  const declarations = childElements(groups[0]!, NS.xsd, "element");
  return new Map(declarations.map((declaration) => [declaration.getAttribute("name")!, declaration]));
}

function globalElement(document: Document, name: string): Element {
  return named(childElements(schemaOf(document), NS.xsd, "element"), name);
}

function occurs(declaration: Element): string {
  return `${declaration.getAttribute("minOccurs")}..${declaration.getAttribute("maxOccurs") || "1"}`;
}

function descendants(root: Element | Document, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName)) as Element[];
}

const execFileAsync = promisify(execFile);

async function zeep(...args: string[]): Promise<any> {
  const { stdout } = await execFileAsync(DEBIAN_PYTHON, [ZEEP_CLIENT, ...args], { timeout: 60_000 });
  return JSON.parse(stdout);
}

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "wss-gateway-wsdl-")), name);
  writeFileSync(path, content);
  return path;
}

/** A 127.0.0.1 port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe("WSDL document structure (SPEC §3, §4)", () => {
  const config = loadFixture();
  const wsdl = parseStrict(wsdlOf(config));
  const root = wsdl.documentElement!;

  it("WSDL and XSD are well-formed XML in the table's namespace http://www.service-now.com/incident", () => {
    assert.equal(root.namespaceURI, NS.wsdl);
    assert.equal(root.localName, "definitions");
    assert.equal(root.getAttribute("targetNamespace"), INCIDENT_NS);
    assert.equal(schemaOf(wsdl).getAttribute("targetNamespace"), INCIDENT_NS);
    const xsd = parseStrict(generateXsd(incident(config)));
    assert.equal(xsd.documentElement!.namespaceURI, NS.xsd);
    assert.equal(xsd.documentElement!.localName, "schema");
    assert.equal(xsd.documentElement!.getAttribute("targetNamespace"), INCIDENT_NS);
  });

  it("the standalone XSD is the very schema embedded in the WSDL", () => {
    const embedded = wsdlOf(config).match(/<xsd:schema[\s\S]*<\/xsd:schema>/)?.[0];
    const standalone = generateXsd(incident(config)).match(/<xsd:schema[\s\S]*<\/xsd:schema>/)?.[0];
    assert.ok(embedded && standalone);
    const strip = (xml: string) => xml.replace(/\n\s*/g, "");
    assert.equal(strip(embedded), strip(standalone));
  });

  it("portType ServiceNowSoap has the nine operations, each {op}SoapIn → element {op}, {op}SoapOut → element {op}Response", () => {
    const portType = onlyChild(root, NS.wsdl, "portType");
    assert.equal(portType.getAttribute("name"), "ServiceNowSoap");
    const operations = childElements(portType, NS.wsdl, "operation");
    assert.deepEqual(
      operations.map((operation) => operation.getAttribute("name")),
      NINE_OPERATIONS,
    );
    const messages = childElements(root, NS.wsdl, "message");
    for (const operation of operations) {
      const name = operation.getAttribute("name")!;
      assert.equal(onlyChild(operation, NS.wsdl, "input").getAttribute("message"), `tns:${name}SoapIn`);
      assert.equal(onlyChild(operation, NS.wsdl, "output").getAttribute("message"), `tns:${name}SoapOut`);
      const input = onlyChild(named(messages, `${name}SoapIn`), NS.wsdl, "part");
      const output = onlyChild(named(messages, `${name}SoapOut`), NS.wsdl, "part");
      assert.equal(input.getAttribute("element"), `tns:${name}`);
      assert.equal(output.getAttribute("element"), `tns:${name}Response`);
      globalElement(wsdl, name);
      globalElement(wsdl, `${name}Response`);
    }
    assert.equal(root.lookupNamespaceURI("tns"), INCIDENT_NS);
  });

  it("SOAP 1.1 and 1.2 bindings are document/literal with soapAction http://www.service-now.com/incident/{op}", () => {
    const bindings = childElements(root, NS.wsdl, "binding");
    assert.deepEqual(
      bindings.map((binding) => [binding.getAttribute("name"), binding.getAttribute("type")]),
      [
        ["ServiceNowSoap", "tns:ServiceNowSoap"],
        ["ServiceNowSoap12", "tns:ServiceNowSoap"],
      ],
    );
    for (const [binding, soapNs] of [
      [bindings[0]!, NS.wsdlSoap11],
      [bindings[1]!, NS.wsdlSoap12],
    ] as const) {
      const soapBinding = onlyChild(binding, soapNs, "binding");
      assert.equal(soapBinding.getAttribute("style"), "document");
      assert.equal(soapBinding.getAttribute("transport"), "http://schemas.xmlsoap.org/soap/http");
      const operations = childElements(binding, NS.wsdl, "operation");
      assert.deepEqual(
        operations.map((operation) => operation.getAttribute("name")),
        NINE_OPERATIONS,
      );
      for (const operation of operations) {
        const name = operation.getAttribute("name");
        assert.equal(onlyChild(operation, soapNs, "operation").getAttribute("soapAction"), `${INCIDENT_NS}/${name}`);
        for (const direction of ["input", "output"]) {
          const body = onlyChild(onlyChild(operation, NS.wsdl, direction), soapNs, "body");
          assert.equal(body.getAttribute("use"), "literal");
        }
      }
    }
  });

  it("service ServiceNow has a SOAP 1.1 port first and a SOAP 1.2 port, both at the endpoint URL", () => {
    const service = onlyChild(root, NS.wsdl, "service");
    assert.equal(service.getAttribute("name"), "ServiceNow");
    const ports = childElements(service, NS.wsdl, "port");
    assert.deepEqual(
      ports.map((port) => [port.getAttribute("name"), port.getAttribute("binding")]),
      [
        ["ServiceNowSoap", "tns:ServiceNowSoap"],
        ["ServiceNowSoap12", "tns:ServiceNowSoap12"],
      ],
    );
    assert.equal(onlyChild(ports[0]!, NS.wsdlSoap11, "address").getAttribute("location"), ENDPOINT);
    assert.equal(onlyChild(ports[1]!, NS.wsdlSoap12, "address").getAttribute("location"), ENDPOINT);
  });

  it("an endpoint URL carrying markup (from a hostile Host header) stays one attribute value", () => {
    const hostile = `http://evil.example/"><wsdl:import location="http://evil.example/x"/><x a="&amp;/incident.do?SOAP`;
    const document = parseStrict(wsdlOf(config, hostile));
    const service = onlyChild(document.documentElement!, NS.wsdl, "service");
    const port = childElements(service, NS.wsdl, "port")[0]!;
    assert.equal(onlyChild(port, NS.wsdlSoap11, "address").getAttribute("location"), hostile);
    assert.equal(descendants(document, NS.wsdl, "import").length, 0);
  });
});

describe("XSD content (SPEC §2 column types, §4 operations)", () => {
  const config = loadFixture();
  const xsd = parseStrict(generateXsd(incident(config)));
  const schema = xsd.documentElement!;

  it("children are unqualified: elementFormDefault=\"unqualified\"", () => {
    assert.equal(schema.getAttribute("elementFormDefault"), "unqualified");
  });

  it("column types map to string+maxLength, integer, decimal, boolean, and datetime as xsd:string", () => {
    const insert = contentOf(globalElement(xsd, "insert"));
    assert.deepEqual([...insert.keys()], INCIDENT_COLUMNS);
    const maxLength = (name: string) => {
      const restriction = onlyChild(onlyChild(insert.get(name)!, NS.xsd, "simpleType"), NS.xsd, "restriction");
      assert.equal(restriction.getAttribute("base"), "xsd:string");
      return onlyChild(restriction, NS.xsd, "maxLength").getAttribute("value");
    };
    assert.equal(maxLength("number"), "40");
    assert.equal(maxLength("short_description"), "160");
    assert.equal(insert.get("priority")!.getAttribute("type"), "xsd:integer");
    assert.equal(insert.get("cost")!.getAttribute("type"), "xsd:decimal");
    assert.equal(insert.get("active")!.getAttribute("type"), "xsd:boolean");
    assert.equal(insert.get("opened_at")!.getAttribute("type"), "xsd:string");
    assert.equal(schema.lookupNamespaceURI("xsd"), NS.xsd);
  });

  it("sys_id is required in get, update and deleteRecord requests; every other request child is optional", () => {
    for (const operation of ["get", "update", "deleteRecord"]) {
      assert.equal(occurs(contentOf(globalElement(xsd, operation)).get("sys_id")!), "1..1", operation);
    }
    assert.deepEqual([...contentOf(globalElement(xsd, "get")).keys()], ["sys_id"]);
    assert.deepEqual([...contentOf(globalElement(xsd, "deleteRecord")).keys()], ["sys_id"]);
    assert.deepEqual([...contentOf(globalElement(xsd, "update")).keys()], ["sys_id", ...INCIDENT_COLUMNS]);
    for (const operation of ["insert", "update", "getRecords", "getKeys", "deleteMultiple", "aggregate"]) {
      for (const [name, declaration] of contentOf(globalElement(xsd, operation))) {
        if (name === "sys_id" && operation === "update") continue;
        assert.equal(occurs(declaration), "0..1", `${operation}/${name}`);
      }
    }
  });

  it("getRecords and getKeys take column filters plus __encoded_query, __limit, __first_row, __last_row, __order_by, __order_by_desc", () => {
    for (const operation of ["getRecords", "getKeys"]) {
      const request = contentOf(globalElement(xsd, operation));
      assert.deepEqual([...request.keys()], [...INCIDENT_COLUMNS, ...SYSTEM_COLUMNS, ...QUERY_CONTROLS], operation);
      assert.equal(request.get("__limit")!.getAttribute("type"), "xsd:integer");
      assert.equal(request.get("__first_row")!.getAttribute("type"), "xsd:integer");
      assert.equal(request.get("__last_row")!.getAttribute("type"), "xsd:integer");
      assert.equal(request.get("__encoded_query")!.getAttribute("type"), "xsd:string");
    }
  });

  it("deleteMultiple takes the column filters and __encoded_query only (no row window or ordering)", () => {
    const request = contentOf(globalElement(xsd, "deleteMultiple"));
    assert.deepEqual([...request.keys()], [...INCIDENT_COLUMNS, ...SYSTEM_COLUMNS, "__encoded_query"]);
  });

  it("aggregate takes COUNT, SUM, AVG, MIN, MAX, GROUP_BY, the filters and __encoded_query; answers aggregateResult*", () => {
    const request = contentOf(globalElement(xsd, "aggregate"));
    assert.deepEqual(
      [...request.keys()],
      ["COUNT", "SUM", "AVG", "MIN", "MAX", "GROUP_BY", ...INCIDENT_COLUMNS, ...SYSTEM_COLUMNS, "__encoded_query"],
    );
    const response = contentOf(globalElement(xsd, "aggregateResponse"));
    assert.deepEqual([...response.keys()], ["aggregateResult"]);
    assert.equal(occurs(response.get("aggregateResult")!), "0..unbounded");
    const result = contentOf(response.get("aggregateResult")!);
    assert.deepEqual([...result.keys()], ["COUNT", "SUM", "AVG", "MIN", "MAX", ...RECORD_ORDER]);
  });

  it("insert answers sys_id and the columns; insertMultiple takes record+ and answers insertResponse*", () => {
    const insertResponse = contentOf(globalElement(xsd, "insertResponse"));
    assert.equal(occurs(insertResponse.get("sys_id")!), "1..1");
    assert.deepEqual([...insertResponse.keys()], RECORD_ORDER);

    const multiple = contentOf(globalElement(xsd, "insertMultiple"));
    assert.deepEqual([...multiple.keys()], ["record"]);
    assert.equal(occurs(multiple.get("record")!), "1..unbounded");
    assert.deepEqual([...contentOf(multiple.get("record")!).keys()], INCIDENT_COLUMNS);

    const multipleResponse = contentOf(globalElement(xsd, "insertMultipleResponse"));
    assert.equal(occurs(multipleResponse.get("insertResponse")!), "0..unbounded");
    assert.deepEqual([...contentOf(multipleResponse.get("insertResponse")!).keys()], [...insertResponse.keys()]);
  });

  it("get answers every column and system column; getRecords answers getRecordsResult* of the same", () => {
    const whole = RECORD_ORDER;
    assert.deepEqual([...contentOf(globalElement(xsd, "getResponse")).keys()], whole);
    const getRecords = contentOf(globalElement(xsd, "getRecordsResponse"));
    assert.equal(occurs(getRecords.get("getRecordsResult")!), "0..unbounded");
    assert.deepEqual([...contentOf(getRecords.get("getRecordsResult")!).keys()], whole);
  });

  it("getKeys answers sys_id (comma-separated string) and count; update sys_id; deleteRecord and deleteMultiple count", () => {
    const getKeys = contentOf(globalElement(xsd, "getKeysResponse"));
    assert.deepEqual(
      [...getKeys].map(([name, declaration]) => [name, declaration.getAttribute("type"), occurs(declaration)]),
      [
        ["sys_id", "xsd:string", "1..1"],
        ["count", "xsd:integer", "1..1"],
      ],
    );
    assert.deepEqual([...contentOf(globalElement(xsd, "updateResponse")).keys()], ["sys_id"]);
    for (const operation of ["deleteRecordResponse", "deleteMultipleResponse"]) {
      const count = contentOf(globalElement(xsd, operation));
      assert.deepEqual([...count.keys()], ["count"]);
      assert.equal(count.get("count")!.getAttribute("type"), "xsd:integer");
    }
  });
});

interface PolicyView {
  readonly policies: Element[];
  readonly alternatives: Element[];
  readonly references: Element[];
}

function policyView(wsdl: string): PolicyView {
  const document = parseStrict(wsdl);
  const policies = childElements(document.documentElement!, NS.wsp, "Policy");
  const alternatives = policies.flatMap((policy) =>
    childElements(onlyChild(policy, NS.wsp, "ExactlyOne"), NS.wsp, "All"),
  );
  return { policies, alternatives, references: descendants(document, NS.wsp, "PolicyReference") };
}

/** The top-level assertions of one alternative, with the facts the tests check. */
function assertionsOf(alternative: Element): string[] {
  return childElements(alternative, NS.sp, "AsymmetricBinding")
    .map(() => "AsymmetricBinding")
    .concat(childElements(alternative, NS.sp, "Wss11").map(() => "Wss11"))
    .concat(childElements(alternative, NS.sp, "SignedParts").map(() => "SignedParts"))
    .concat(childElements(alternative, NS.sp, "SupportingTokens").map(() => "SupportingTokens"));
}

describe("WS-SecurityPolicy implied by the active security policy (SPEC §5)", () => {
  it("ws_security.required false → no wsp:Policy and no wsp:PolicyReference", () => {
    const view = policyView(wsdlOf(loadFixture()));
    assert.equal(view.policies.length, 0);
    assert.equal(view.references.length, 0);
  });

  it("x509 profile, require_signed → AsymmetricBinding with an X509 initiator token, Timestamp, Body signed", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ requireSigned: true, authenticate: "all", profiles: ["Partner certificate"] }),
    });
    const view = policyView(wsdlOf(config));
    assert.equal(view.policies.length, 1);
    assert.equal(view.alternatives.length, 1);
    const alternative = view.alternatives[0]!;
    assert.deepEqual(assertionsOf(alternative), ["AsymmetricBinding", "Wss11", "SignedParts"]);
    const binding = onlyChild(alternative, NS.sp, "AsymmetricBinding");
    const initiator = descendants(binding, NS.sp, "InitiatorToken");
    assert.equal(initiator.length, 1);
    assert.equal(descendants(initiator[0]!, NS.sp, "X509Token").length, 1);
    assert.equal(descendants(binding, NS.sp, "IncludeTimestamp").length, 1);
    assert.equal(descendants(binding, NS.sp, "Basic256Sha256").length, 1);
    const signedParts = onlyChild(alternative, NS.sp, "SignedParts");
    assert.equal(childElements(signedParts, NS.sp, "Body").length, 1);
  });

  it("IncludeTimestamp exactly when the policy requires a Timestamp: require_timestamp true (explicit or default) → present, false → absent", () => {
    const includeTimestamps = (requireTimestamp: boolean | undefined) => {
      const config = loadFixture({
        gateway: SECURE_GATEWAY_YAML,
        profiles: PROFILES_YAML,
        policies: policiesYaml({ requireSigned: true, authenticate: "at_least_one", profiles: ["Partner certificate", "Partner credentials"], requireTimestamp }),
      });
      const view = policyView(wsdlOf(config));
      return view.alternatives.map((alternative) => descendants(alternative, NS.sp, "IncludeTimestamp").length);
    };
    assert.deepEqual(includeTimestamps(undefined), [1, 1]);
    assert.deepEqual(includeTimestamps(true), [1, 1]);
    assert.deepEqual(includeTimestamps(false), [0, 0]);
    // The rest of the binding is unchanged.
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ requireSigned: true, authenticate: "all", profiles: ["Partner certificate"], requireTimestamp: false }),
    });
    const binding = onlyChild(policyView(wsdlOf(config)).alternatives[0]!, NS.sp, "AsymmetricBinding");
    assert.equal(descendants(binding, NS.sp, "Basic256Sha256").length, 1);
    assert.equal(descendants(binding, NS.sp, "OnlySignEntireHeadersAndBody").length, 1);
  });

  it("username profile without require_signed → SupportingTokens UsernameToken only, no signature assertion", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ requireSigned: false, authenticate: "all", profiles: ["Partner credentials"] }),
    });
    const [alternative, ...others] = policyView(wsdlOf(config)).alternatives;
    assert.equal(others.length, 0);
    assert.deepEqual(assertionsOf(alternative!), ["SupportingTokens"]);
    assert.equal(descendants(alternative!, NS.sp, "UsernameToken").length, 1);
    assert.equal(descendants(alternative!, NS.sp, "WssUsernameToken10").length, 1);
  });

  it("authenticate all with x509 and username → one wsp:All holding both the signature and the UsernameToken", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({
        requireSigned: false,
        authenticate: "all",
        profiles: ["Partner certificate", "Partner credentials"],
      }),
    });
    const view = policyView(wsdlOf(config));
    assert.equal(view.alternatives.length, 1);
    assert.deepEqual(assertionsOf(view.alternatives[0]!), ["AsymmetricBinding", "Wss11", "SignedParts", "SupportingTokens"]);
  });

  it("authenticate at_least_one → wsp:ExactlyOne with one alternative per profile type", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({
        requireSigned: false,
        authenticate: "at_least_one",
        profiles: ["Partner certificate", "Partner credentials"],
      }),
    });
    const view = policyView(wsdlOf(config));
    assert.deepEqual(view.alternatives.map(assertionsOf), [
      ["AsymmetricBinding", "Wss11", "SignedParts"],
      ["SupportingTokens"],
    ]);
  });

  it("at_least_one with require_signed → the UsernameToken alternative must be signed too", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({
        requireSigned: true,
        authenticate: "at_least_one",
        profiles: ["Partner certificate", "Partner credentials"],
      }),
    });
    assert.deepEqual(policyView(wsdlOf(config)).alternatives.map(assertionsOf), [
      ["AsymmetricBinding", "Wss11", "SignedParts"],
      ["AsymmetricBinding", "Wss11", "SignedParts", "SupportingTokens"],
    ]);
  });

  it("require_signed with only a username profile still asks for the X.509 signature", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ requireSigned: true, authenticate: "all", profiles: ["Partner credentials"] }),
    });
    assert.deepEqual(policyView(wsdlOf(config)).alternatives.map(assertionsOf), [
      ["AsymmetricBinding", "Wss11", "SignedParts", "SupportingTokens"],
    ]);
  });

  it("an inactive profile contributes nothing; a policy of only inactive profiles admits no alternative", () => {
    const onlyInactive = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ requireSigned: false, authenticate: "at_least_one", profiles: ["Retired credentials"] }),
    });
    const view = policyView(wsdlOf(onlyInactive));
    assert.equal(view.policies.length, 1);
    assert.equal(childElements(view.policies[0]!, NS.wsp, "ExactlyOne").length, 1);
    assert.equal(view.alternatives.length, 0);
  });

  it("an outbound default policy → a wsp:Policy with an empty wsp:ExactlyOne (no request can satisfy it)", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({
        type: "outbound",
        requireSigned: false,
        authenticate: "all",
        profiles: [],
      }),
    });
    const view = policyView(wsdlOf(config));
    assert.equal(view.policies.length, 1);
    assert.equal(view.alternatives.length, 0);
    assert.ok(view.references.length > 0);
  });

  it("no policies configured → every active profile under require_signed and all", () => {
    const config = loadFixture({ gateway: SECURE_GATEWAY_YAML, profiles: PROFILES_YAML, policies: "policies: []\n" });
    assert.deepEqual(policyView(wsdlOf(config)).alternatives.map(assertionsOf), [
      ["AsymmetricBinding", "Wss11", "SignedParts", "SupportingTokens"],
    ]);
  });

  it("the policy reveals no profile name, certificate path or user", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({
        requireSigned: true,
        authenticate: "at_least_one",
        profiles: ["Partner certificate", "Partner credentials"],
      }),
    });
    const wsdl = wsdlOf(config);
    for (const secretish of ["Partner", "partner.pem", "alice", "BEGIN CERTIFICATE", "Default Security Policy"]) {
      assert.equal(wsdl.includes(secretish), false, secretish);
    }
  });

  it("every binding operation's input references the policy by its wsu:Id; outputs carry no policy", () => {
    const config = loadFixture({
      gateway: SECURE_GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ requireSigned: true, authenticate: "all", profiles: ["Partner certificate"] }),
    });
    const document = parseStrict(wsdlOf(config));
    const policy = childElements(document.documentElement!, NS.wsp, "Policy")[0]!;
    const id = policy.getAttributeNS(NS.wsu, "Id");
    assert.ok(id);
    for (const binding of childElements(document.documentElement!, NS.wsdl, "binding")) {
      for (const operation of childElements(binding, NS.wsdl, "operation")) {
        const input = onlyChild(operation, NS.wsdl, "input");
        assert.equal(onlyChild(input, NS.wsp, "PolicyReference").getAttribute("URI"), `#${id}`);
        assert.equal(childElements(onlyChild(operation, NS.wsdl, "output"), NS.wsp, "PolicyReference").length, 0);
      }
    }
  });
});

describe("real clients build proxies from the generated WSDL file", () => {
  // The most elaborate policy (two alternatives) proves clients tolerate it.
  const config = loadFixture({
    gateway: SECURE_GATEWAY_YAML,
    profiles: PROFILES_YAML,
    policies: policiesYaml({
      requireSigned: true,
      authenticate: "at_least_one",
      profiles: ["Partner certificate", "Partner credentials"],
    }),
  });
  const xsdPath = tempFile("incident.xsd", generateXsd(incident(config)));

  it("node-soap: describe() lists the nine operations on both ports with their input parts", async () => {
    const client = await soap.createClientAsync(tempFile("incident.wsdl", wsdlOf(config)));
    const description = client.describe() as Record<string, Record<string, Record<string, any>>>;
    assert.deepEqual(Object.keys(description), ["ServiceNow"]);
    assert.deepEqual(Object.keys(description.ServiceNow!), ["ServiceNowSoap", "ServiceNowSoap12"]);
    for (const port of Object.values(description.ServiceNow!)) {
      assert.deepEqual(Object.keys(port), NINE_OPERATIONS);
      assert.deepEqual(port.insert.input, {
        number: "xsd:string|maxLength",
        short_description: "xsd:string|maxLength",
        priority: "xsd:integer",
        active: "xsd:boolean",
        opened_at: "xsd:string",
        cost: "xsd:decimal",
      });
      assert.deepEqual(port.get.input, { sys_id: "xsd:string|maxLength" });
      assert.deepEqual(Object.keys(port.insertMultiple.input), ["record[]"]);
      assert.deepEqual(Object.keys(port.getRecords.output), ["getRecordsResult[]"]);
      assert.deepEqual(Object.keys(port.getKeys.output), ["sys_id", "count"]);
    }
  });

  it("node-soap: sends insert as {http://www.service-now.com/incident}insert with unqualified column children", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/incident.do?SOAP`;
    const client = await soap.createClientAsync(tempFile("incident.wsdl", wsdlOf(config, endpoint)));
    const sent: string[] = [];
    client.on("request", (xml: string) => sent.push(xml));
    const insertOnSoap11Port = (args: object) =>
      new Promise((resolve, reject) =>
        client.ServiceNow.ServiceNowSoap.insert(args, (error: unknown, result: unknown) =>
          error ? reject(error) : resolve(result),
        ),
      );
    await assert.rejects(insertOnSoap11Port({ number: "INC0001", priority: 2, active: true }), /ECONNREFUSED/);
    assert.equal(sent.length, 1);
    const envelope = parseStrict(sent[0]!).documentElement!;
    assert.equal(envelope.namespaceURI, NS.soap11);
    const body = onlyChild(envelope, NS.soap11, "Body");
    const request = onlyChild(body, INCIDENT_NS, "insert");
    const columns: [string | null, string | null, string | null][] = [];
    for (let node = request.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 1) {
        const element = node as Element;
        columns.push([element.namespaceURI, element.localName, element.textContent]);
      }
    }
    assert.deepEqual(columns, [
      [null, "number", "INC0001"],
      [null, "priority", "2"],
      [null, "active", "true"],
    ]);
  });

  it("zeep: the service has a Soap11Binding port then a Soap12Binding port, each with the nine operations", async () => {
    const described = await zeep("describe", tempFile("incident.wsdl", wsdlOf(config)));
    const ports = described.services.ServiceNow;
    assert.deepEqual(Object.keys(ports), ["ServiceNowSoap", "ServiceNowSoap12"]);
    assert.equal(ports.ServiceNowSoap.binding, "Soap11Binding");
    assert.equal(ports.ServiceNowSoap12.binding, "Soap12Binding");
    for (const port of Object.values(ports) as any[]) {
      assert.equal(port.location, ENDPOINT);
      assert.deepEqual(Object.keys(port.operations).sort(), [...NINE_OPERATIONS].sort());
      assert.equal(port.operations.insert.input_element, `{${INCIDENT_NS}}insert`);
      assert.equal(port.operations.insert.soap_action, `${INCIDENT_NS}/insert`);
      assert.deepEqual(
        port.operations.insert.input_children.map((child: any) => [child.name, child.qualified, child.min_occurs]),
        INCIDENT_COLUMNS.map((name) => [name, false, 0]),
      );
      assert.deepEqual(
        port.operations.get.input_children.map((child: any) => [child.name, child.min_occurs]),
        [["sys_id", 1]],
      );
    }
  });

  it("zeep: create_message builds {http://www.service-now.com/incident}insert with unqualified children valid against the XSD", async () => {
    const message = await zeep(
      "message",
      tempFile("incident.wsdl", wsdlOf(config)),
      xsdPath,
      "insert",
      JSON.stringify({ number: "INC0001", short_description: "Printer on fire", priority: 1, active: true }),
    );
    assert.equal(message.envelope_namespace, NS.soap11);
    assert.equal(message.body_child_count, 1);
    assert.equal(message.body_child, `{${INCIDENT_NS}}insert`);
    assert.deepEqual(message.children, [
      { tag: "number", text: "INC0001" },
      { tag: "short_description", text: "Printer on fire" },
      { tag: "priority", text: "1" },
      { tag: "active", text: "true" },
    ]);
    assert.equal(message.valid_against_xsd, true);
  });

  it("zeep: a 41-character number breaks the XSD's maxLength 40 facet", async () => {
    const message = await zeep(
      "message",
      tempFile("incident.wsdl", wsdlOf(config)),
      xsdPath,
      "insert",
      JSON.stringify({ number: "N".repeat(41) }),
    );
    assert.equal(message.valid_against_xsd, false);
    assert.match(message.xsd_errors.join("\n"), /Element 'number': \[facet 'maxLength'\]/);
  });
});
