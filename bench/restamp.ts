/**
 * Fresh copies of one signed bench envelope, fast: every copy gets a new
 * Timestamp (its own wsu:Id, Created = now, Expires = now + the template's
 * lifetime), the Timestamp's new digest, and a new SignatureValue over the
 * new SignedInfo; the Body, its digest and everything else stay the
 * template's bytes. So each copy has its own replay key (canonical
 * SignedInfo) and is first-use for the gateway, at the cost of one SHA-256
 * of the Timestamp and one RSA signature, where re-signing the whole
 * envelope canonicalizes the whole Body (about 0.5 s at 1 MB).
 *
 * The canonical forms of the template's Timestamp and SignedInfo are
 * computed once by the signer's own canonicalizer; a copy's canonical forms
 * differ from them only in the replaced values (ids, dateTimes and base64
 * digests need no escaping). Copies keep the template's length.
 * test/e2e/bench-fixtures.test.ts proves that the gateway admits them.
 */
import { createHash, createPrivateKey, randomUUID, sign } from "node:crypto";
import { DOMParser } from "@xmldom/xmldom";
import { canonicalize } from "../src/wss/sign/index.js";
import { NS } from "../src/xml/ns.js";
import type { BenchEnvelope, BenchKeys } from "./fixtures.js";

export type Restamper = () => string;

export function restamper(keys: BenchKeys, envelope: BenchEnvelope): Restamper {
  const xml = envelope.xml;
  const document = new DOMParser().parseFromString(xml, "text/xml");
  const timestamp = document.getElementsByTagNameNS(NS.wsu, "Timestamp")[0];
  const signedInfo = document.getElementsByTagNameNS(NS.ds, "SignedInfo")[0];
  if (!timestamp || !signedInfo) throw new Error("restamp: the template has no wsu:Timestamp or ds:SignedInfo");
  const timestampC14n = canonicalize(timestamp, "exclusive");
  const signedInfoC14n = canonicalize(signedInfo, "exclusive");

  const id = between(xml, '<wsu:Timestamp wsu:Id="', '"');
  const created = between(xml, "<wsu:Created>", "</wsu:Created>");
  const expires = between(xml, "<wsu:Expires>", "</wsu:Expires>");
  const lifetimeMs = Date.parse(expires) - Date.parse(created);
  const timestampDigest = createHash("sha256").update(timestampC14n, "utf8").digest("base64");
  const signatureValue = between(xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
  if (!id.startsWith("TS-") || !signedInfoC14n.includes(timestampDigest)) throw new Error("restamp: unexpected template (Timestamp id or digest)");

  // The template split at each value a copy replaces, in document order.
  const marks = [
    { at: xml.indexOf(`wsu:Id="${id}"`) + 'wsu:Id="'.length, old: id, slot: "id" },
    { at: xml.indexOf(`<wsu:Created>${created}`) + "<wsu:Created>".length, old: created, slot: "created" },
    { at: xml.indexOf(`<wsu:Expires>${expires}`) + "<wsu:Expires>".length, old: expires, slot: "expires" },
    { at: xml.indexOf(`URI="#${id}"`) + 'URI="#'.length, old: id, slot: "id" },
    { at: xml.indexOf(`<ds:DigestValue>${timestampDigest}`) + "<ds:DigestValue>".length, old: timestampDigest, slot: "digest" },
    { at: xml.indexOf(`<ds:SignatureValue>${signatureValue}`) + "<ds:SignatureValue>".length, old: signatureValue, slot: "signature" },
  ] as const;
  for (let i = 0; i < marks.length; i++) {
    if (marks[i]!.at < 100 || (i > 0 && marks[i]!.at <= marks[i - 1]!.at)) throw new Error("restamp: template values not found in the expected order");
  }
  const pieces: string[] = [];
  let from = 0;
  for (const mark of marks) {
    pieces.push(xml.slice(from, mark.at));
    from = mark.at + mark.old.length;
  }
  pieces.push(xml.slice(from));

  const key = createPrivateKey(keys.keyPem);
  return () => {
    const now = Date.now();
    const values = {
      id: `TS-${randomUUID()}`,
      created: new Date(now).toISOString(),
      expires: new Date(now + lifetimeMs).toISOString(),
      digest: "",
      signature: "",
    };
    const canonicalTimestamp = timestampC14n.replace(id, values.id).replace(created, values.created).replace(expires, values.expires);
    values.digest = createHash("sha256").update(canonicalTimestamp, "utf8").digest("base64");
    const canonicalSignedInfo = signedInfoC14n.replace(`#${id}`, `#${values.id}`).replace(timestampDigest, values.digest);
    values.signature = sign("sha256", Buffer.from(canonicalSignedInfo, "utf8"), key).toString("base64");
    let copy = pieces[0]!;
    for (let i = 0; i < marks.length; i++) copy += values[marks[i]!.slot] + pieces[i + 1]!;
    return copy;
  };
}

function between(text: string, open: string, close: string): string {
  const start = text.indexOf(open);
  if (start < 0) throw new Error(`restamp: ${open} not found in the template`);
  const end = text.indexOf(close, start + open.length);
  return text.slice(start + open.length, end);
}
