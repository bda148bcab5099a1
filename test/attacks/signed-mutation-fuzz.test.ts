/**
 * Property: no mutation of a signed part of a validly signed envelope is
 * admitted. From one envelope signed by our signer (Timestamp and Body,
 * exclusive c14n, BinarySecurityToken), fast-check generates edits of the
 * signed parts — a character changed, inserted or deleted in a text or an
 * attribute value, an element renamed, deleted, duplicated or moved, the
 * Timestamp's Created shifted, SignedInfo / DigestValue / SignatureValue
 * edited — and decideWsSecurity judges each mutant that still parses.
 *
 * The oracle is independent of the verifier: a mutant may be admitted only
 * if xml-crypto's exclusive c14n of its Body, Timestamp and SignedInfo
 * (found by position) and the bytes of its SignatureValue are those of the
 * original (e.g. an unused namespace declaration edited, or base64 padding
 * bits changed). Bounded: 300 runs, fixed seed (fast-check prints the seed
 * and the shrunk counterexample on failure).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { DOMParser, XMLSerializer, type Document, type Element, type Node } from "@xmldom/xmldom";
import fc from "fast-check";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { ExclusiveCanonicalization } from "xml-crypto";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, parseRequest, policyYaml, SOAP11_ENVELOPE, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

const SEED = 0x5eed_2026;
const RUNS = 300;
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const TEXT_ALPHABET = [..."abcXYZ019 -_.:/=+<>&\"'é\t\n"];
const NAME_ALPHABET = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const BASE64_ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"];

type CharEdit = { readonly op: "replace" | "insert" | "delete"; readonly at: number; readonly pick: number };
type SignedPart = "body" | "timestamp" | "signedInfo" | "signatureValue";
type Mutation =
  | { readonly kind: "edit-text"; readonly part: SignedPart; readonly node: number; readonly edit: CharEdit }
  | { readonly kind: "edit-attribute"; readonly part: SignedPart; readonly attribute: number; readonly edit: CharEdit }
  | { readonly kind: "rename-element"; readonly part: SignedPart; readonly element: number; readonly edit: CharEdit }
  | { readonly kind: "delete-node"; readonly part: SignedPart; readonly node: number }
  | { readonly kind: "duplicate-element"; readonly part: SignedPart; readonly element: number }
  | { readonly kind: "move-element"; readonly part: SignedPart; readonly element: number; readonly destination: number; readonly position: number }
  | { readonly kind: "shift-created"; readonly seconds: number };

const charEdit = fc.record({ op: fc.constantFrom("replace", "insert", "delete"), at: fc.nat(), pick: fc.nat() }) as fc.Arbitrary<CharEdit>;
const part = fc.constantFrom<SignedPart>("body", "timestamp", "signedInfo", "signatureValue");
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("edit-text" as const), part, node: fc.nat(), edit: charEdit }),
  fc.record({ kind: fc.constant("edit-attribute" as const), part, attribute: fc.nat(), edit: charEdit }),
  fc.record({ kind: fc.constant("rename-element" as const), part, element: fc.nat(), edit: charEdit }),
  fc.record({ kind: fc.constant("delete-node" as const), part, node: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate-element" as const), part, element: fc.nat() }),
  fc.record({ kind: fc.constant("move-element" as const), part, element: fc.nat(), destination: fc.nat(), position: fc.nat() }),
  fc.record({ kind: fc.constant("shift-created" as const), seconds: fc.integer({ min: 1, max: 200 }) }),
);

function editString(value: string, edit: CharEdit, alphabet: readonly string[]): string {
  const char = alphabet[edit.pick % alphabet.length]!;
  switch (edit.op) {
    case "insert": {
      const at = edit.at % (value.length + 1);
      return value.slice(0, at) + char + value.slice(at);
    }
    case "replace":
    case "delete": {
      if (value.length === 0) return edit.op === "replace" ? char : value;
      const at = edit.at % value.length;
      return value.slice(0, at) + (edit.op === "replace" ? char : "") + value.slice(at + 1);
    }
    default: {
      const unreachable: never = edit.op;
      return unreachable;
    }
  }
}

function descendants(root: Node): Node[] {
  const nodes: Node[] = [root];
  for (let i = 0; i < nodes.length; i++) for (let child = nodes[i]!.firstChild; child; child = child.nextSibling) nodes.push(child);
  return nodes;
}

function firstElement(document: Document, namespace: string, localName: string): Element | undefined {
  return document.getElementsByTagNameNS(namespace, localName)[0] ?? undefined;
}

function partRoot(document: Document, name: SignedPart): Element | undefined {
  switch (name) {
    case "body":
      return firstElement(document, NS.soap11, "Body");
    case "timestamp":
      return firstElement(document, NS.wsu, "Timestamp");
    case "signedInfo":
      return firstElement(document, NS.ds, "SignedInfo");
    case "signatureValue":
      return firstElement(document, NS.ds, "SignatureValue");
    default: {
      const unreachable: never = name;
      return unreachable;
    }
  }
}

const pick = <T>(items: readonly T[], index: number): T | undefined => (items.length === 0 ? undefined : items[index % items.length]);

/** The mutant's XML, or undefined when the mutation has nothing to act on. */
function applyMutation(signed: string, m: Mutation): string | undefined {
  const document = new DOMParser().parseFromString(signed, "text/xml");
  if (m.kind === "shift-created") {
    const created = firstElement(document, NS.wsu, "Timestamp")?.getElementsByTagNameNS(NS.wsu, "Created")[0];
    if (!created?.firstChild) return undefined;
    created.firstChild.nodeValue = new Date(Date.parse(created.textContent ?? "") - m.seconds * 1000).toISOString();
    return new XMLSerializer().serializeToString(document);
  }
  const root = partRoot(document, m.part);
  if (!root) return undefined;
  const nodes = descendants(root);
  const elements = nodes.filter((node): node is Element => node.nodeType === ELEMENT_NODE);
  switch (m.kind) {
    case "edit-text": {
      const text = pick(nodes.filter((node) => node.nodeType === TEXT_NODE), m.node);
      if (!text) return undefined;
      text.nodeValue = editString(text.nodeValue ?? "", m.edit, m.part === "signatureValue" ? BASE64_ALPHABET : TEXT_ALPHABET);
      break;
    }
    case "edit-attribute": {
      const owners = elements.flatMap((element) => Array.from({ length: element.attributes.length }, (_, i) => ({ element, attribute: element.attributes.item(i)! })));
      const target = pick(owners, m.attribute);
      if (!target) return undefined;
      target.element.setAttributeNS(target.attribute.namespaceURI, target.attribute.name, editString(target.attribute.value, m.edit, TEXT_ALPHABET));
      break;
    }
    case "rename-element": {
      const element = pick(elements, m.element);
      if (!element) return undefined;
      const localName = editString(element.localName ?? "", m.edit, NAME_ALPHABET);
      if (localName === "") return undefined;
      const renamed = document.createElementNS(element.namespaceURI, element.prefix ? `${element.prefix}:${localName}` : localName);
      for (const attribute of Array.from({ length: element.attributes.length }, (_, i) => element.attributes.item(i)!)) {
        renamed.setAttributeNS(attribute.namespaceURI, attribute.name, attribute.value);
      }
      while (element.firstChild) renamed.appendChild(element.firstChild);
      element.parentNode!.replaceChild(renamed, element);
      break;
    }
    case "delete-node": {
      const node = pick(nodes, m.node);
      if (!node?.parentNode) return undefined;
      node.parentNode.removeChild(node);
      break;
    }
    case "duplicate-element": {
      const element = pick(elements, m.element);
      if (!element?.parentNode) return undefined;
      element.parentNode.insertBefore(element.cloneNode(true), element.nextSibling);
      break;
    }
    case "move-element": {
      const element = pick(elements, m.element);
      if (!element?.parentNode) return undefined;
      const inside = new Set(descendants(element));
      const destinations = descendants(document.documentElement!).filter((node) => node.nodeType === ELEMENT_NODE && !inside.has(node));
      const destination = pick(destinations, m.destination);
      if (!destination) return undefined;
      const children = Array.from({ length: destination.childNodes.length }, (_, i) => destination.childNodes.item(i));
      destination.insertBefore(element, children[m.position % (children.length + 1)] ?? null);
      break;
    }
    default: {
      const unreachable: never = m;
      return unreachable;
    }
  }
  return new XMLSerializer().serializeToString(document);
}

/** What the signature covers, as an independent implementation (xml-crypto) canonicalizes it, plus the signature bytes. */
function signedContent(xml: string): string {
  const envelope = parseRequest(xml);
  // xml-crypto's own renderer: the verifier's (and our signer's) exclusive c14n is src/wss/exclusive-c14n.ts.
  const canonical = (element: Element | undefined) => (element ? new ExclusiveCanonicalization().process(element as never, {}) : "(absent)");
  // The request tree offers the DOM subset read here (getElementsByTagNameNS, textContent, childNodes).
  const document = envelope.document as unknown as Document;
  const signatureValue = firstElement(document, NS.ds, "SignatureValue")?.textContent ?? "";
  return JSON.stringify([
    canonical(envelope.body as unknown as Element),
    canonical(firstElement(document, NS.wsu, "Timestamp")),
    canonical(firstElement(document, NS.ds, "SignedInfo")),
    Buffer.from(signatureValue, "base64").toString("hex"),
  ]);
}

function parses(xml: string): boolean {
  try {
    parseRequest(xml);
    return true;
  } catch {
    return false;
  }
}

describe("signed-part mutations are never admitted (property, fast-check)", () => {
  let config: GatewayConfig;
  let signed: string;
  let clock: ManualClock;

  before(() => {
    const partner = makeCertificate(mkdtempSync(join(tmpdir(), "wss-fuzz-")), "partner", { key: "rsa2048" });
    config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, {
      "certs/partner.pem": partner.certPem,
    });
    clock = new ManualClock();
    signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
  });

  test("the unmutated envelope, re-serialized through the same DOM, is admitted (the fixture is sound)", async () => {
    const reserialized = new XMLSerializer().serializeToString(new DOMParser().parseFromString(signed, "text/xml"));
    assert.equal(outcomeOf(await decide(config, reserialized, { clock })), "admitted");
  });

  test(`${RUNS} mutations of the Body, Timestamp, SignedInfo and SignatureValue: none that parses is admitted unless its signed content is canonically unchanged`, async (t) => {
    const original = signedContent(signed);
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    t.diagnostic(`fast-check seed ${SEED}, ${RUNS} runs`);
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const mutant = applyMutation(signed, m);
        if (mutant === undefined || mutant === signed) {
          count("no-op");
          return;
        }
        if (!parses(mutant)) {
          count("does not parse");
          return;
        }
        const outcome = outcomeOf(await decide(config, mutant, { clock }));
        count(outcome);
        if (outcome === "admitted") {
          assert.equal(signedContent(mutant), original, `admitted a mutant whose signed content changed: ${JSON.stringify(m)}`);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
    const judged = RUNS - (outcomes.get("no-op") ?? 0) - (outcomes.get("does not parse") ?? 0);
    assert.ok(judged >= RUNS / 2, `only ${judged} of ${RUNS} mutants reached the verifier`);
  });
});
