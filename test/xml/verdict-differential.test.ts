/**
 * A parser differential is a signature-wrapping risk (issue 14): the
 * gateway's verdict on a signed envelope is compared with xmlsec1's
 * (libxml2 + libxmlsec1), the reference implementation of XML-DSig, on
 * envelopes signed by xmlsec1 itself with the certificate the gateway's
 * x509 profile pins. fast-check generates the Bodies (nested elements,
 * attributes, namespace declarations, text with references, non-ASCII,
 * CR/LF, comments, CDATA) and the mutations; seeds are fixed, runs bounded.
 *
 * - Valid: each envelope, as libxml2 serialized it after signing and with
 *   the generated Body bytes put back (same infoset, other bytes), is
 *   verified by both; both must accept, and the Body the gateway
 *   dispatches (found by position, holding the operation element that
 *   selectOperation picks) canonicalizes to the very bytes xmlsec1 hashed
 *   for the Body's Reference (`--store-references --print-debug`); the
 *   same for the Timestamp.
 * - Mutated: one edit of the signed bytes (text, attribute value, node
 *   added or removed, namespace declaration added, attributes reordered,
 *   white space in tags or between nodes, SignatureValue / DigestValue).
 *   Whenever xmlsec1 refuses, the gateway refuses; whenever the gateway
 *   admits, xmlsec1 verified it and the dispatched Body is what xmlsec1
 *   hashed. The gateway is stricter by policy, so it may refuse what
 *   xmlsec1 accepts, but only by a named policy rule — never by a parse
 *   refusal, a digest mismatch or a SignatureValue failure (that would be
 *   a parser or c14n disagreement).
 * - Wrapped: the signed Body moved elsewhere and a forged Body dispatched,
 *   or ids duplicated: the gateway refuses with `Unable to verify signed
 *   request` by its wrapping rules; xmlsec1's verdict is recorded (it
 *   accepts most: it checks digests, not which element is used).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { selectOperation } from "../../src/pipeline/select-operation.js";
import { reservingReplayGuard } from "../../src/replay/guard.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { readEnvelope, type SoapEnvelope } from "../../src/soap/envelope.js";
import { FAULTS } from "../../src/soap/faults.js";
import { C14N_ALGORITHMS, canonicalize } from "../../src/wss/c14n.js";
import { decideWsSecurity } from "../../src/wss/engine.js";
import { findSecurityHeader } from "../../src/wss/security-header.js";
import { NS, tableNamespace } from "../../src/xml/ns.js";
import { xmlParser } from "../../src/xml/parse.js";
import type { Element } from "../../src/xml/tree.js";
import { applyMarkupMutation, markupMutation, type MarkupMutation } from "../helpers/markup-mutations.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { missingToolReason } from "../helpers/signers.js";
import { policyYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { tamperable } from "../helpers/wss-dom.js";
import { BODY_ID, signatureTemplate, signTemplateWithXmlsec1, TIMESTAMP_ID, verifyWithXmlsec1Debug, type TemplateC14n, type Xmlsec1DebugVerdict } from "../helpers/xmlsec1-verdict.js";

const SEED = 0x0d1ff_2026;
const VALID_RUNS = 20;
const BASES = 6;
const MUTANT_RUNS = 80;
const WRAP_RUNS = 18;
const LIMITS = { maxXmlDepth: 128, maxXmlElements: 100_000, maxAttributesPerElement: 64 };
const TABLE_NS = tableNamespace("incident");

// ---------------------------------------------------------------- generated Bodies

const NAMES = ["short_description", "priority", "record", "é", "b:item", "c:item", "inc:column", "a.b-c_d"];
const ATTRIBUTE_NAMES = ["x", "y", "z", "b:x", "c:x", "xml:lang", "inc:x"];
const PREFIXES: Readonly<Record<string, string>> = { b: "urn:b", c: "urn:c" };
const EXTRA_DECLARATIONS = ['xmlns:unused="urn:unused"', 'xmlns="urn:default"', 'xmlns=""', 'xmlns:b="urn:b"'];
const TEXT_PIECES = ["text", " ", "\n", "\r\n", "\r", "\t", "&amp;", "&lt;", "&gt;", ">", "&#233;", "&#x1F600;", "&#13;", "é", "中文", "𝄞", "&quot;", "'", '"', "<!-- c -->", "<!--é-->", "<![CDATA[a<b&c]]>", "<![CDATA[\r\n]]>"];
const VALUE_PIECES = ["v", " ", "\t", "\n", "&#9;", "&#10;", "&#13;", "&amp;", "&lt;", "&gt;", "&quot;", "'", "é", "€", "&#x1F600;", "𝄞"];
/** The operation element, written in several ways; always an `insert`-family operation in the table's namespace. */
const OPERATIONS = [
  ["<inc:insert>", "</inc:insert>"],
  [`<insert xmlns="${TABLE_NS}">`, "</insert>"],
  [`<t:insertMultiple xmlns:t="${TABLE_NS}" xmlns:u="urn:unused">`, "</t:insertMultiple>"],
  ["<inc:update   inc:flag = 'yes' >", "</inc:update >"],
] as const;

interface GeneratedAttribute {
  readonly name: string;
  readonly value: readonly string[];
  readonly quote: '"' | "'";
}

interface GeneratedElement {
  readonly name: string;
  readonly attributes: readonly GeneratedAttribute[];
  readonly declarations: readonly string[];
  readonly children: readonly (GeneratedElement | string)[];
}

const text = fc.array(fc.constantFrom(...TEXT_PIECES), { minLength: 1, maxLength: 4 }).map((pieces) => pieces.join(""));
const attribute = fc.record({ name: fc.constantFrom(...ATTRIBUTE_NAMES), value: fc.array(fc.constantFrom(...VALUE_PIECES), { maxLength: 4 }), quote: fc.constantFrom<'"' | "'">('"', "'") });
const element: fc.Memo<GeneratedElement> = fc.memo((depth) =>
  fc.record({
    name: fc.constantFrom(...NAMES),
    attributes: fc.uniqueArray(attribute, { maxLength: 3, selector: (a) => a.name }),
    declarations: fc.subarray(EXTRA_DECLARATIONS, { maxLength: 2 }),
    children: depth <= 1 ? fc.array(text, { maxLength: 2 }) : fc.array(fc.oneof(text, element(depth - 1)), { maxLength: 4 }),
  }),
);

interface GeneratedCase {
  readonly soapNamespace: string;
  readonly c14n: TemplateC14n;
  readonly operation: number;
  readonly lead: string;
  readonly children: readonly (GeneratedElement | string)[];
}

const generatedCase: fc.Arbitrary<GeneratedCase> = fc.record({
  soapNamespace: fc.constantFrom(NS.soap11, NS.soap11, NS.soap12),
  c14n: fc.constantFrom<TemplateC14n>("exclusive", "exclusive", "inclusive"),
  operation: fc.nat({ max: OPERATIONS.length - 1 }),
  lead: fc.constantFrom("", "\n  ", " \r\n"),
  children: fc.array(fc.oneof(text, element(3)), { maxLength: 5 }),
});

function renderElement(node: GeneratedElement): string {
  const used = [node.name, ...node.attributes.map((a) => a.name)].map((name) => name.split(":")).filter((parts) => parts.length === 2).map((parts) => parts[0]!);
  const declarations = new Map<string, string>();
  for (const prefix of used) if (PREFIXES[prefix]) declarations.set(`xmlns:${prefix}`, `xmlns:${prefix}="${PREFIXES[prefix]}"`);
  for (const declaration of node.declarations) declarations.set(declaration.split("=")[0]!, declaration);
  const attributes = node.attributes.map((a) => `${a.name}=${a.quote}${a.value.map((piece) => (piece === a.quote ? (piece === "'" ? "&apos;" : "&quot;") : piece)).join("")}${a.quote}`);
  const start = [node.name, ...declarations.values(), ...attributes].join(" ");
  return `<${start}>${node.children.map((child) => (typeof child === "string" ? child : renderElement(child))).join("")}</${node.name}>`;
}

function renderBody(generated: GeneratedCase): string {
  const [open, close] = OPERATIONS[generated.operation]!;
  const children = generated.children.map((child) => (typeof child === "string" ? child : renderElement(child))).join("");
  return `<soapenv:Body xmlns:wsu="${NS.wsu}" wsu:Id="${BODY_ID}">${generated.lead}${open}${children}${close}${generated.lead}</soapenv:Body>`;
}

// ---------------------------------------------------------------- the two verifiers

type GatewayVerdict =
  | { readonly kind: "admitted"; readonly envelope: SoapEnvelope }
  | { readonly kind: "refused"; readonly fault: string; readonly reason: string }
  | { readonly kind: "not-well-formed"; readonly reason: string }
  | { readonly kind: "not-an-envelope"; readonly reason: string };

/** The gateway's request path up to the WS-Security decision: the one parse, the envelope structure, decideWsSecurity. */
async function gatewayVerdict(config: GatewayConfig, xml: string, clock: ManualClock): Promise<GatewayVerdict> {
  const parsed = xmlParser.parse(Buffer.from(xml, "utf8"), LIMITS);
  if (parsed.kind === "refused") return { kind: "not-well-formed", reason: parsed.reason };
  const envelope = readEnvelope(parsed.document);
  if (envelope.kind === "malformed") return { kind: "not-an-envelope", reason: envelope.reason };
  const replay = reservingReplayGuard(new MemoryReplayCache(clock));
  const decision = await decideWsSecurity({ config, envelope: envelope.envelope, basicUser: undefined, clock, replay });
  if (decision.kind === "admitted") return { kind: "admitted", envelope: envelope.envelope };
  if (decision.kind === "bypassed") throw new Error("ws_security.required is true: nothing is bypassed");
  // The last step says why it was refused (a refusal before the profiles, or the failing profile's reason).
  return { kind: "refused", fault: FAULTS[decision.fault].string, reason: decision.steps[decision.steps.length - 1] ?? "" };
}

/** Refusals that, while xmlsec1 verified the signature, could only mean that the two read the bytes differently. */
const DISAGREEMENTS = [/digest of #.* does not match/, /SignatureValue does not verify/];

/** The gateway's rules that are stricter than XML-DSig, each allowed to refuse what xmlsec1 verifies. */
const POLICY_RULES: readonly { readonly rule: string; readonly pattern: RegExp }[] = [
  { rule: "a signature counts only in our wsse:Security header", pattern: /no ds:Signature in the Security header|wsse:Security headers address this receiver/ },
  { rule: "require_timestamp: our Security header holds a wsu:Timestamp", pattern: /requires a wsu:Timestamp/ },
  { rule: "our Timestamp is readable: plain-text Created / Expires with a time zone", pattern: /wsu:(Created|Expires) / },
  { rule: "ids are unique in the document", pattern: /names more than one element/ },
  { rule: "the dispatched Body (by position) is the signed one", pattern: /the SOAP Body that is dispatched is not signed/ },
  { rule: "our Timestamp is signed, and no other", pattern: /wsu:Timestamp is not signed|is not the Timestamp of our Security header/ },
  { rule: "DigestValue / SignatureValue are plain base64 text", pattern: /is not plain base64 text/ },
  { rule: "the ds:Signature layout is strict", pattern: /unexpected .* in (a |an )?(ds:|exclusive c14n)|must (start with|follow|be empty)|needs ds:|ds:Transforms is empty/ },
  { rule: "the key reference names the pinned certificate", pattern: /BinarySecurityToken|SecurityTokenReference|KeyInfo|key reference|certificate/ },
];

function policyRuleOf(verdict: GatewayVerdict): string | undefined {
  if (verdict.kind === "not-an-envelope") return "one SOAP Envelope, at most one Header, exactly one Body (SPEC §5 step 1)";
  if (verdict.kind !== "refused" || DISAGREEMENTS.some((pattern) => pattern.test(verdict.reason))) return undefined;
  return POLICY_RULES.find(({ pattern }) => pattern.test(verdict.reason))?.rule;
}

function describeVerdict(verdict: GatewayVerdict): string {
  return verdict.kind === "admitted" ? "admitted" : JSON.stringify(verdict);
}

function canonicalOf(element: Element, c14n: TemplateC14n): string {
  const algorithm = c14n === "exclusive" ? C14N_ALGORITHMS.exclusive : C14N_ALGORITHMS.inclusive10;
  const result = canonicalize(element as unknown as Parameters<typeof canonicalize>[0], algorithm);
  assert.equal(result.kind, "canonical");
  return result.kind === "canonical" ? result.text : "";
}

/** The operation the gateway would dispatch sits in the Body found by position, and that Body (and our Timestamp) is what xmlsec1 hashed. */
function assertDispatchedBodyIsVerified(envelope: SoapEnvelope, xmlsec1: Xmlsec1DebugVerdict & { kind: "verified" }, c14n: TemplateC14n, label: string): void {
  const operation = selectOperation(envelope, "incident");
  assert.equal(operation.kind, "operation", label);
  assert.equal(operation.kind === "operation" && operation.element.parentNode, envelope.body, label);
  assert.equal(canonicalOf(envelope.body, c14n), xmlsec1.preDigest.get(`#${envelope.body.getAttributeNS(NS.wsu, "Id")}`), `${label}: the dispatched Body is not what xmlsec1 verified`);
  const header = findSecurityHeader(envelope);
  const timestamp = header.kind === "found" ? header.header.timestamps[0] : undefined;
  assert.ok(timestamp, label);
  assert.equal(canonicalOf(timestamp, c14n), xmlsec1.preDigest.get(`#${TIMESTAMP_ID}`), `${label}: the Timestamp is not what xmlsec1 verified`);
}

// ---------------------------------------------------------------- signed envelopes

interface SignedCase {
  readonly soapNamespace: string;
  readonly c14n: TemplateC14n;
  /** As libxml2 serialized it after `xmlsec1 --sign`. */
  readonly signed: string;
  /** The same with the generated Body bytes put back in place of libxml2's serialization of it. */
  readonly asWritten: string;
}

function signCase(generated: GeneratedCase, identity: TestCertificate, clock: ManualClock): SignedCase {
  const body = renderBody(generated);
  const template = signatureTemplate({ soapNamespace: generated.soapNamespace, body, c14n: generated.c14n, certPem: identity.certPem, created: clock.now(), ttlSeconds: 300 });
  const signed = signTemplateWithXmlsec1(template, identity, generated.soapNamespace);
  const start = signed.indexOf("<soapenv:Body");
  const end = signed.lastIndexOf("</soapenv:Body>") + "</soapenv:Body>".length;
  assert.ok(start > 0 && end > start, "xmlsec1's output has the Body");
  return { soapNamespace: generated.soapNamespace, c14n: generated.c14n, signed, asWritten: signed.slice(0, start) + body + signed.slice(end) };
}

// ---------------------------------------------------------------- signature wrapping

type Placement = "Header" | "a wrapper element in the Header" | "wsse:Security" | "ds:Object" | "another actor's Security header" | "copy in the Header";

interface Wrapping {
  readonly placement: Placement;
  readonly forgedId: "none" | "same";
  /** The signed Body (or its copy) goes first in its new parent, else last. */
  readonly first: boolean;
}

const wrapping: fc.Arbitrary<Wrapping> = fc.record({
  placement: fc.constantFrom<Placement>("Header", "a wrapper element in the Header", "wsse:Security", "ds:Object", "another actor's Security header", "copy in the Header"),
  forgedId: fc.constantFrom<"none" | "same">("none", "same"),
  first: fc.boolean(),
});

/** The gateway's rules that stop wrapping; each wrapped envelope must be refused by one of them. */
const WRAPPING_RULES = /the SOAP Body that is dispatched is not signed|names more than one element|unexpected Object in ds:Signature/;

/** Rewrites a signed envelope with the DOM (@xmldom): the signed Body keeps its bytes' infoset, a forged one takes its place. */
function applyWrapping(base: SignedCase, wrap: Wrapping): string {
  const dom = tamperable(base.signed);
  const soap = base.soapNamespace;
  const signedBody = dom.one(soap, "Body");
  const header = dom.one(soap, "Header");
  if (wrap.placement === "copy in the Header") {
    // No forged Body: the signed one stays, a copy with the same id sits in the Header.
    header.insertBefore(signedBody.cloneNode(true), wrap.first ? header.firstChild : null);
    return dom.xml();
  }
  const id = wrap.forgedId === "same" ? ` xmlns:wsu="${NS.wsu}" wsu:Id="${BODY_ID}"` : "";
  const forged = dom.fragment(
    `<soapenv:Body xmlns:soapenv="${soap}"${id}><inc:deleteMultiple xmlns:inc="${TABLE_NS}"><__encoded_query>active=true</__encoded_query></inc:deleteMultiple></soapenv:Body>`,
  );
  signedBody.parentNode!.replaceChild(forged, signedBody);
  const actor = soap === NS.soap11 ? "actor" : "role";
  const container = {
    Header: () => header,
    "a wrapper element in the Header": () => header.appendChild(dom.fragment(`<x:Wrapper xmlns:x="urn:x"/>`)),
    "wsse:Security": () => dom.one(NS.wsse, "Security"),
    "ds:Object": () => dom.one(NS.ds, "Signature").appendChild(dom.fragment(`<ds:Object xmlns:ds="${NS.ds}"/>`)),
    "another actor's Security header": () =>
      header.appendChild(dom.fragment(`<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:soapenv="${soap}" soapenv:${actor}="urn:another-actor"/>`)),
  }[wrap.placement]();
  container.insertBefore(signedBody, wrap.first ? container.firstChild : null);
  return dom.xml();
}

/** fc.assert without shrinking (each run costs xmlsec1 processes), its failure message carrying the assertion that failed. */
async function checkProperty<T extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<T>, options: { numRuns: number; seed: number }): Promise<void> {
  const details = await fc.check(property, { ...options, endOnFailure: true });
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  assert.fail(`property failed (seed ${options.seed}, run ${details.numRuns}) for ${fc.stringify(details.counterexample)}:\n${cause}`);
}

const tally = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
const describeTally = (counts: Map<string, number>) => JSON.stringify(Object.fromEntries([...counts].sort()));

describe("verdict differential: the gateway against xmlsec1 (fast-check, fixed seed)", { skip: missingToolReason("xmlsec1") }, () => {
  let dir: string;
  let partner: TestCertificate;
  let config: GatewayConfig;
  let clock: ManualClock;
  let bases: SignedCase[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "verdict-differential-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048" });
    config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, {
      "certs/partner.pem": partner.certPem,
    });
    clock = new ManualClock();
    bases = fc.sample(generatedCase, { numRuns: BASES, seed: SEED + 1 }).map((generated) => signCase(generated, partner, clock));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test(`valid: ${VALID_RUNS} xmlsec1-signed envelopes with generated Bodies (exclusive and inclusive c14n, SOAP 1.1 and 1.2), as libxml2 wrote them and as generated → both verifiers accept, and the Body the gateway dispatches is the one xmlsec1 verified`, async (t) => {
    const counts = new Map<string, number>();
    await checkProperty(
      fc.asyncProperty(generatedCase, async (generated) => {
        const signedCase = signCase(generated, partner, clock);
        for (const [form, xml] of [["as signed", signedCase.signed], ["as generated", signedCase.asWritten]] as const) {
          const label = `${form}, ${signedCase.c14n} c14n:\n${xml}`;
          const xmlsec1 = verifyWithXmlsec1Debug(xml, partner.certPath, signedCase.soapNamespace);
          assert.equal(xmlsec1.kind, "verified", `xmlsec1 refused its own signature ${label}\n${xmlsec1.kind === "failed" ? xmlsec1.output : ""}`);
          const gateway = await gatewayVerdict(config, xml, clock);
          assert.equal(gateway.kind, "admitted", `the gateway refused (${describeVerdict(gateway)}) ${label}`);
          if (gateway.kind === "admitted" && xmlsec1.kind === "verified") assertDispatchedBodyIsVerified(gateway.envelope, xmlsec1, signedCase.c14n, label);
          tally(counts, `${signedCase.c14n} ${signedCase.soapNamespace === NS.soap11 ? "SOAP 1.1" : "SOAP 1.2"}`);
        }
      }),
      { numRuns: VALID_RUNS, seed: SEED },
    );
    t.diagnostic(`both accepted: ${describeTally(counts)}`);
  });

  test(`mutated: ${MUTANT_RUNS} single edits of the signed bytes → xmlsec1 refuses ⇒ the gateway refuses; the gateway admits ⇒ xmlsec1 verified the Body it dispatches; a stricter refusal names a policy rule, never a parse, digest or SignatureValue disagreement`, async (t) => {
    const counts = new Map<string, number>();
    const policyRefusals = new Map<string, number>();
    await checkProperty(
      fc.asyncProperty(fc.nat(), fc.boolean(), markupMutation, async (baseIndex, asWritten, mutation: MarkupMutation) => {
        const base = bases[baseIndex % bases.length]!;
        const original = asWritten ? base.asWritten : base.signed;
        const mutant = applyMarkupMutation(original, mutation);
        if (mutant === undefined || mutant === original) return void tally(counts, "no-op");
        const label = `${JSON.stringify(mutation)} on a ${base.c14n} c14n envelope:\n${mutant}`;
        const xmlsec1 = verifyWithXmlsec1Debug(mutant, partner.certPath, base.soapNamespace);
        const gateway = await gatewayVerdict(config, mutant, clock);
        tally(counts, `xmlsec1 ${xmlsec1.kind}, gateway ${gateway.kind}`);
        if (xmlsec1.kind === "failed") {
          assert.notEqual(gateway.kind, "admitted", `the gateway admitted what xmlsec1 refused (${xmlsec1.output}): ${label}`);
        } else if (gateway.kind === "admitted") {
          assertDispatchedBodyIsVerified(gateway.envelope, xmlsec1, base.c14n, label);
        } else {
          const rule = policyRuleOf(gateway);
          assert.ok(rule, `xmlsec1 verified, the gateway refused without a policy reason (a parser or c14n disagreement?): ${describeVerdict(gateway)} ${label}`);
          tally(policyRefusals, rule);
        }
      }),
      { numRuns: MUTANT_RUNS, seed: SEED + 2 },
    );
    t.diagnostic(`verdicts: ${describeTally(counts)}`);
    t.diagnostic(`stricter by policy: ${describeTally(policyRefusals)}`);
    const judgedByBoth = [...counts].filter(([key]) => key !== "no-op").reduce((sum, [, n]) => sum + n, 0);
    assert.ok(judgedByBoth >= MUTANT_RUNS / 2, `only ${judgedByBoth} of ${MUTANT_RUNS} mutations changed the bytes`);
  });

  test(
    "a relative namespace URI in a signed envelope (an unused declaration, outside what exclusive c14n renders) → refused, as xmlsec1 refuses it",
    async () => {
      const base = bases.find((candidate) => candidate.c14n === "exclusive")!;
      const xml = base.signed.replace("<soapenv:Header>", '<soapenv:Header><x:Note xmlns:x="urn:x" xmlns:rel="relative/path"/>');
      const xmlsec1 = verifyWithXmlsec1Debug(xml, partner.certPath, base.soapNamespace);
      assert.ok(xmlsec1.kind === "failed" && /Relative namespace/.test(xmlsec1.output), "xmlsec1 refuses the relative namespace URI");
      assert.notEqual((await gatewayVerdict(config, xml, clock)).kind, "admitted", "xmlsec1 refuses ⇒ the gateway refuses");
    },
  );

  test(`wrapped: ${WRAP_RUNS} signature-wrapping rewrites (signed Body moved into the Header, wsse:Security, a ds:Object or another actor's header with a forged Body dispatched; a signed Body's id duplicated) → Unable to verify signed request, whatever xmlsec1 says`, async (t) => {
    const counts = new Map<string, number>();
    await checkProperty(
      fc.asyncProperty(fc.nat(), wrapping, async (baseIndex, wrap) => {
        const base = bases[baseIndex % bases.length]!;
        const wrapped = applyWrapping(base, wrap);
        const label = `${JSON.stringify(wrap)} on a ${base.c14n} c14n envelope:\n${wrapped}`;
        const gateway = await gatewayVerdict(config, wrapped, clock);
        assert.equal(gateway.kind === "refused" && gateway.fault, "Unable to verify signed request", `${describeVerdict(gateway)} ${label}`);
        assert.match(gateway.kind === "refused" ? gateway.reason : "", WRAPPING_RULES, label);
        const xmlsec1 = verifyWithXmlsec1Debug(wrapped, partner.certPath, base.soapNamespace);
        if (xmlsec1.kind === "verified") {
          // What xmlsec1 verified is not what would be dispatched: the wrap is real.
          const parsed = xmlParser.parse(wrapped, LIMITS);
          const envelope = parsed.kind === "parsed" ? readEnvelope(parsed.document) : undefined;
          assert.ok(envelope?.kind === "envelope", label);
          assert.notEqual(canonicalOf(envelope.envelope.body, base.c14n), xmlsec1.preDigest.get(`#${BODY_ID}`), label);
        }
        const forged = wrap.placement === "copy in the Header" ? "" : wrap.forgedId === "same" ? ", forged Body with the signed Body's id" : ", forged Body without id";
        tally(counts, `${wrap.placement}${forged}: xmlsec1 ${xmlsec1.kind}`);
      }),
      { numRuns: WRAP_RUNS, seed: SEED + 3 },
    );
    t.diagnostic(`xmlsec1 on the wrapped envelopes: ${describeTally(counts)}`);
    assert.ok([...counts.keys()].some((key) => key.endsWith("xmlsec1 verified")), "no wrapped envelope passed xmlsec1: the corpus holds no real wrap");
  });
});

