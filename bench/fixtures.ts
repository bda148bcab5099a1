/**
 * Bench fixtures, made at run time in a temporary directory (nothing large
 * is committed): an RSA-2048 key and self-signed certificate (openssl CLI),
 * a configuration with that certificate pinned in an x509 profile (loaded
 * by the real loader), and signed SOAP envelopes of about the asked sizes,
 * signed by our own signer over the Timestamp and the Body (BST reference,
 * exclusive c14n, rsa-sha256, sha256 digests).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config/load.js";
import type { GatewayConfig } from "../src/config/types.js";
import { signEnvelope } from "../src/wss/sign/index.js";

export interface BenchKeys {
  readonly dir: string;
  readonly keyPem: string;
  readonly certPem: string;
}

export interface BenchEnvelope {
  readonly label: string;
  readonly xml: string;
  readonly bytes: Buffer;
  readonly elements: number;
  /** The envelope before signing (what `resign` signs again). */
  readonly unsigned: string;
}

/**
 * Envelope shapes: `element` = insertMultiple of small records (many
 * elements: parse, records and one row per record dominate); `text` = one
 * insert whose `description` column holds one long text (few elements: bytes
 * dominate).
 */
export const ENVELOPE_SHAPES = ["element", "text"] as const;
export type EnvelopeShape = (typeof ENVELOPE_SHAPES)[number];

/** The `description` column's max_length: room for the text-heavy envelope's value at the largest size the body limit allows. */
const DESCRIPTION_MAX_LENGTH = 4_194_304;

/** Basic-auth user of the bench configuration (HTTP figure). */
export const BENCH_USER = { name: "bench.client", password: "bench-password" } as const;
/** The x509 profile's run-as user. */
export const BENCH_RUN_AS = "partner.soap";

export function makeKeys(): BenchKeys {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-"));
  const keyPath = join(dir, "partner.key");
  const certPath = join(dir, "partner.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "30", "-subj", "/CN=bench partner", "-addext", "subjectKeyIdentifier=hash"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return { dir, keyPem: readFileSync(keyPath, "utf8"), certPem: readFileSync(certPath, "utf8") };
}

/** Writes a configuration directory (WS-Security required, one pinned x509 profile) and returns its path. */
export function writeConfigDir(keys: BenchKeys): string {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-config-"));
  const files: Record<string, string> = {
    "gateway.yaml": `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: true
  default_policy: Bench Policy
  timestamp_ttl_seconds: 300
  clock_skew_seconds: 60
  allow_sha1: false
  min_rsa_key_bits: 2048
strict_security: true
limits:
  max_body_bytes: 4194304
  max_xml_depth: 128
  max_xml_elements: 100000
  max_attributes_per_element: 64
throttle:
  max_failures: 1000000
  window_seconds: 60
  cooldown_seconds: 60
`,
    "profiles.yaml": `profiles:
  - name: Partner certificate
    type: x509
    active: true
    order: 100
    bind_session: true
    run_as_user: ${BENCH_RUN_AS}
    certificate: partner.pem
    ca_certificates: []
    check_validity: true
`,
    "policies.yaml": `policies:
  - name: Bench Policy
    type: inbound
    require_signed: true
    authenticate: all
    profiles: [Partner certificate]
`,
    "users.yaml": `users:
  - user_name: ${BENCH_USER.name}
    password: ${BENCH_USER.password}
    roles: [soap]
  - user_name: ${BENCH_RUN_AS}
    password: partner-password
    roles: [soap]
`,
    "acls.yaml": `acls:
  - table: incident
    operation: read
    roles: []
  - table: incident
    operation: create
    roles: []
`,
    "tables.yaml": `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
      active: {type: boolean}
      description: {type: string, max_length: ${DESCRIPTION_MAX_LENGTH}}
`,
    "partner.pem": keys.certPem,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function loadBenchConfig(configDir: string): GatewayConfig {
  return loadConfig(configDir);
}

/** Parses "6k", "100k", "1m" (or plain bytes) into a byte count. */
export function parseSize(label: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)b?$/i.exec(label.trim());
  if (!match) throw new Error(`not a size: ${label} (expected e.g. 6k, 100k, 1m)`);
  const unit = match[2]!.toLowerCase() === "m" ? 1024 * 1024 : match[2]!.toLowerCase() === "k" ? 1024 : 1;
  return Math.round(Number(match[1]) * unit);
}

/**
 * A signed insertMultiple envelope whose serialized size is within a few
 * percent of `targetBytes`: records of column values are added until the
 * signed message (security header included) reaches the target.
 */
export function makeSignedEnvelope(keys: BenchKeys, label: string, targetBytes: number): BenchEnvelope {
  const overhead = Buffer.byteLength(sign(keys, unsignedEnvelope(0)));
  const perRecord = Buffer.byteLength(record(0));
  let count = Math.max(1, Math.round((targetBytes - overhead) / perRecord));
  let xml = sign(keys, unsignedEnvelope(count));
  // Record lengths vary with the index's digits: one correction is enough.
  const error = targetBytes - Buffer.byteLength(xml);
  if (Math.abs(error) > perRecord) {
    count = Math.max(1, count + Math.round(error / perRecord));
    xml = sign(keys, unsignedEnvelope(count));
  }
  return benchEnvelope(label, xml, unsignedEnvelope(count));
}

/**
 * A signed `insert` of one record whose `description` is one long text
 * (sentences with a few escaped characters), sized like makeSignedEnvelope.
 */
export function makeSignedTextEnvelope(keys: BenchKeys, label: string, targetBytes: number): BenchEnvelope {
  const overhead = Buffer.byteLength(sign(keys, unsignedTextEnvelope(0)));
  let unsigned = unsignedTextEnvelope(Math.max(1, targetBytes - overhead));
  let xml = sign(keys, unsigned);
  const error = targetBytes - Buffer.byteLength(xml);
  if (error !== 0) {
    unsigned = unsignedTextEnvelope(Math.max(1, targetBytes - overhead + error));
    xml = sign(keys, unsigned);
  }
  return benchEnvelope(label, xml, unsigned);
}

/** A signed `get` of one sys_id (a read: no row is written, an unknown sys_id answers an empty response). */
export function makeSignedGetEnvelope(keys: BenchKeys, sysId = "0123456789abcdef0123456789abcdef"): BenchEnvelope {
  const unsigned =
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
    `<soapenv:Header/><soapenv:Body><inc:get><sys_id>${sysId}</sys_id></inc:get></soapenv:Body></soapenv:Envelope>`;
  return benchEnvelope("get", sign(keys, unsigned), unsigned);
}

/** A signed envelope of the given shape (see ENVELOPE_SHAPES). */
export function makeShapedEnvelope(keys: BenchKeys, shape: EnvelopeShape, label: string, targetBytes: number): BenchEnvelope {
  return shape === "text" ? makeSignedTextEnvelope(keys, label, targetBytes) : makeSignedEnvelope(keys, label, targetBytes);
}

function benchEnvelope(label: string, xml: string, unsigned: string): BenchEnvelope {
  return { label, xml, bytes: Buffer.from(xml, "utf8"), elements: (xml.match(/<[^/!?]/g) ?? []).length, unsigned };
}

/** A fresh signature (new ids, Timestamp and SignatureValue) over the same content: for the replay-checked HTTP figure. */
export function resign(keys: BenchKeys, envelope: BenchEnvelope): string {
  return sign(keys, envelope.unsigned);
}

function sign(keys: BenchKeys, xml: string): string {
  return signEnvelope(xml, { key: keys.keyPem, cert: keys.certPem, keyReference: "bst", timestampSeconds: 300, digest: "sha256", canonicalization: "exclusive" });
}

function unsignedEnvelope(records: number): string {
  const parts: string[] = [];
  for (let i = 0; i < records; i++) parts.push(record(i));
  return (
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
    `<soapenv:Header/><soapenv:Body><inc:insertMultiple>${parts.join("")}</inc:insertMultiple></soapenv:Body></soapenv:Envelope>`
  );
}

const TEXT_SENTENCE = 'Printer on floor 3 &amp; scanner report a paper jam again; the queue "east" holds 12 jobs &lt;urgent&gt;. ';

/** One insert whose description is about `descriptionBytes` bytes of serialized text. */
function unsignedTextEnvelope(descriptionBytes: number): string {
  const text = TEXT_SENTENCE.repeat(Math.ceil(descriptionBytes / TEXT_SENTENCE.length));
  // Cut between sentences' characters, never inside an entity reference.
  let cut = descriptionBytes;
  const amp = text.lastIndexOf("&", cut);
  if (amp >= 0 && text.indexOf(";", amp) >= cut) cut = amp;
  return (
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
    `<soapenv:Header/><soapenv:Body><inc:insert><number>TXT0000001</number><short_description>Text-heavy bench record</short_description>` +
    `<description>${text.slice(0, cut)}</description></inc:insert></soapenv:Body></soapenv:Envelope>`
  );
}

function record(index: number): string {
  const number = `INC${String(index).padStart(7, "0")}`;
  return (
    `<record><number>${number}</number>` +
    `<short_description>Printer on floor 3 &amp; scanner report paper jam #${index} (queue "east")</short_description>` +
    `<priority>${(index % 5) + 1}</priority><active>true</active></record>`
  );
}
