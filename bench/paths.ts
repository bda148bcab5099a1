/**
 * What one benchmark iteration does, per measured path. Each path checks
 * its own result on every iteration, so a refusal can never be counted as
 * a verification.
 */
import { DOMParser } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import { systemClock } from "../src/clock.js";
import type { GatewayConfig } from "../src/config/types.js";
import { MemoryReplayCache } from "../src/replay/memory.js";
import { reservingReplayGuard } from "../src/replay/guard.js";
import { readEnvelope } from "../src/soap/envelope.js";
import { decideWsSecurity } from "../src/wss/engine.js";
import { NS } from "../src/xml/ns.js";
import { scanXmlLimits } from "../src/xml/limits-scan.js";
import { decodeUtf8Xml, xmlParser } from "../src/xml/parse.js";
import { findIllegalXmlCharacter } from "../src/xml/xml-characters.js";
import { BENCH_RUN_AS, BENCH_USER, type BenchEnvelope } from "./fixtures.js";

/**
 * The gateway's verification, parsing included: the one parse (limits scan
 * + DOM), the SOAP envelope, and the whole WS-Security decision. A fresh
 * replay cache per iteration, so the same signed message is first-use every
 * time; the decision must admit it with the x509 profile's run-as user.
 */
export function fullVerification(config: GatewayConfig, envelope: BenchEnvelope): () => Promise<void> {
  const basicUser = config.users.get(BENCH_USER.name);
  return async () => {
    const parsed = xmlParser.parse(envelope.bytes, config.gateway.limits);
    if (parsed.kind !== "parsed") throw new Error(`bench envelope refused by the parser: ${parsed.reason}`);
    const read = readEnvelope(parsed.document);
    if (read.kind !== "envelope") throw new Error(`bench envelope malformed: ${read.reason}`);
    const decision = await decideWsSecurity({
      config,
      envelope: read.envelope,
      basicUser,
      clock: systemClock,
      replay: reservingReplayGuard(new MemoryReplayCache(systemClock)),
    });
    if (decision.kind !== "admitted" || decision.sessionUser !== BENCH_RUN_AS) {
      throw new Error(`bench envelope not admitted: ${decision.kind === "refused" ? decision.steps.join("; ") : decision.kind}`);
    }
    parsed.document.release(); // as the gateway does once the request is answered
  };
}

/**
 * The WS-Security decision alone, on an envelope parsed once beforehand
 * (the decision only reads the DOM, so the same tree serves every iteration).
 */
export function verifyOnly(config: GatewayConfig, envelope: BenchEnvelope): () => Promise<void> {
  const basicUser = config.users.get(BENCH_USER.name);
  const parsed = xmlParser.parse(envelope.bytes, config.gateway.limits);
  if (parsed.kind !== "parsed") throw new Error(`bench envelope refused by the parser: ${parsed.reason}`);
  const read = readEnvelope(parsed.document);
  if (read.kind !== "envelope") throw new Error(`bench envelope malformed: ${read.reason}`);
  return async () => {
    const decision = await decideWsSecurity({
      config,
      envelope: read.envelope,
      basicUser,
      clock: systemClock,
      replay: reservingReplayGuard(new MemoryReplayCache(systemClock)),
    });
    if (decision.kind !== "admitted" || decision.sessionUser !== BENCH_RUN_AS) {
      throw new Error(`bench envelope not admitted: ${decision.kind === "refused" ? decision.steps.join("; ") : decision.kind}`);
    }
  };
}

/** The gateway's parse alone: UTF-8 decoding and the one-pass tree parser (limits, ids and all checks included). */
export function parseOnly(config: GatewayConfig, envelope: BenchEnvelope): () => void {
  return () => {
    const parsed = xmlParser.parse(envelope.bytes, config.gateway.limits);
    if (parsed.kind !== "parsed") throw new Error(`bench envelope refused by the parser: ${parsed.reason}`);
    parsed.document.release();
  };
}

/**
 * The parse the gateway ran before its own parser, for comparison: UTF-8
 * decoding, the limits pre-scan, the illegal-character check and @xmldom 0.9
 * with warnings as errors (without the RegExp cache it had then, removed
 * with @xmldom from the request path).
 */
export function xmldomParse(config: GatewayConfig, envelope: BenchEnvelope): () => void {
  return () => {
    const decoded = decodeUtf8Xml(envelope.bytes);
    if (decoded.kind !== "text") throw new Error(decoded.reason);
    if (scanXmlLimits(decoded.text, config.gateway.limits).kind !== "ok" || findIllegalXmlCharacter(decoded.text) !== undefined) throw new Error("refused by the pre-checks");
    const document = new DOMParser({
      onError: (level, message) => {
        throw new Error(`@xmldom ${level}: ${String(message)}`);
      },
    }).parseFromString(decoded.text, "text/xml");
    if (!document.documentElement) throw new Error("no root element");
  };
}

/**
 * The naive xml-crypto path, for comparison: parse with @xmldom, load the
 * ds:Signature, and `checkSignature(xml)`, which parses the text again and
 * finds each referenced element by an XPath scan over the whole tree.
 * (It checks only digests and the SignatureValue: none of the gateway's
 * wrapping, algorithm, key-reference, timestamp or replay rules.)
 */
export function naiveXmlCrypto(certPem: string, envelope: BenchEnvelope): () => void {
  const xml = envelope.xml;
  return () => {
    const document = new DOMParser().parseFromString(xml, "text/xml");
    const signature = document.getElementsByTagNameNS(NS.ds, "Signature")[0];
    if (!signature) throw new Error("no ds:Signature in the bench envelope");
    const signed = new SignedXml({ publicCert: certPem });
    signed.loadSignature(signature as unknown as Node);
    if (!signed.checkSignature(xml)) throw new Error("xml-crypto did not verify the bench envelope");
  };
}
