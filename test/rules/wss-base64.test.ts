/**
 * Strict base64 (src/wss/base64.ts), the reading of DigestValue,
 * SignatureValue and BinarySecurityToken: the canonical alphabet, padding only
 * at the end, XML white space dropped. The table-driven check must accept
 * exactly what the grammar below accepts (RFC 4648 §4 with whole quanta).
 * A certificate's text equal to a configured certificate's base64 is read
 * without decoding: it must give exactly the bytes decoding gives.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parseCertificatePem } from "../../src/certs/certificate.js";
import { decodeBase64Strict } from "../../src/wss/base64.js";
import { certificateDer } from "../../src/wss/processors/binary-security-token.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

const GRAMMAR = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function byGrammar(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, "");
  return GRAMMAR.test(compact) ? Buffer.from(compact, "base64") : undefined;
}

test("strict base64: canonical values decode, white space inside is dropped", () => {
  assert.deepEqual(decodeBase64Strict("QUJD"), Buffer.from("ABC"));
  assert.deepEqual(decodeBase64Strict(" QU\r\nJD\tRA==\n"), Buffer.from("ABCD"));
  assert.deepEqual(decodeBase64Strict("QUJDRA=="), Buffer.from("ABCD"));
  assert.deepEqual(decodeBase64Strict("QUJDREU="), Buffer.from("ABCDE"));
  assert.deepEqual(decodeBase64Strict(""), Buffer.alloc(0));
});

test("strict base64: the URL-safe alphabet, padding in the middle, missing or extra padding and other characters are refused", () => {
  for (const bad of ["QU-D", "QU_D", "QQ==QUJD", "QUJDRA", "QUJDRA=", "QUJDRA===", "====", "A===", "QUJD\u00e9", "QUJ\u0000", "QU JD\u00a0"]) {
    assert.equal(decodeBase64Strict(bad), undefined, JSON.stringify(bad));
  }
});

test("strict base64: the table check agrees with the grammar on generated strings", () => {
  const characters = fc.constantFrom(..."ABCXYZabcxyz0189+/=-_ \t\r\n.\u00e9\u0000\u4e00".split(""));
  fc.assert(
    fc.property(fc.array(characters, { maxLength: 24 }), (chars) => {
      const text = chars.join("");
      assert.deepEqual(decodeBase64Strict(text), byGrammar(text));
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(3), (bytes, cut) => {
      const text = Buffer.from(bytes).toString("base64");
      const mutated = text.slice(0, Math.max(0, text.length - cut));
      assert.deepEqual(decodeBase64Strict(text), Buffer.from(bytes));
      assert.deepEqual(decodeBase64Strict(mutated), byGrammar(mutated));
    }),
    { numRuns: 5_000 },
  );
});

test("certificate text: a configured certificate's exact base64 gives the bytes strict decoding gives; any other text is decoded strictly", () => {
  const dir = mkdtempSync(join(tmpdir(), "wss-base64-"));
  const known = new Map(
    ["one", "two"].map((name) => {
      const certificate = parseCertificatePem(makeCertificate(dir, name, { key: "rsa2048" }).certPem, join(dir, `${name}.pem`));
      return [certificate.path, certificate] as const;
    }),
  );
  const texts = [...known.values()].map((certificate) => certificate.derBase64);
  for (const text of texts) assert.equal(certificateDer(text, known), [...known.values()].find((c) => c.derBase64 === text)!.der);
  const characters = fc.constantFrom(..."AQgz09+/= \n-\u00e9".split(""));
  fc.assert(
    fc.property(fc.constantFrom(...texts), fc.nat(2_000), fc.option(characters), fc.constantFrom("replace", "insert", "wrap"), (text, at, unit, how) => {
      const i = at % (text.length + 1);
      const changed =
        how === "wrap" ? text.replace(/.{64}/g, "$&\n") : how === "insert" ? text.slice(0, i) + (unit ?? "") + text.slice(i) : text.slice(0, i) + (unit ?? "") + text.slice(i + 1);
      const decoded = decodeBase64Strict(changed);
      assert.deepEqual(certificateDer(changed, known), decoded && decoded.length > 0 ? decoded : undefined);
    }),
    { numRuns: 3_000 },
  );
  assert.equal(certificateDer("", known), undefined);
});
