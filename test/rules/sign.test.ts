/**
 * Our signer (src/wss/sign, the `sign` command): what it emits is verified
 * by an independent implementation, xmlsec1, for every key-reference style,
 * digest, key type and c14n; its tokens follow the WSS profiles; its errors
 * name the problem.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { runSign } from "../../src/cli/sign.js";
import { ManualClock } from "../../src/clock.js";
import { DIGEST_NAMES, KEY_REFERENCE_STYLES, SignError, signEnvelope } from "../../src/wss/sign/index.js";
import { DSIG_ALGORITHMS, NS, WSS_TYPES } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { missingToolReason, verifyWithXmlsec1 } from "../helpers/signers.js";

const INCIDENT = "http://www.service-now.com/incident";
const SOAP11_ENVELOPE = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="${NS.soap11}" xmlns:inc="${INCIDENT}">
  <soapenv:Header/>
  <soapenv:Body>
    <inc:insert>
      <short_description>Printer &amp; scanner &lt;3rd floor&gt;</short_description>
      <priority>2</priority>
    </inc:insert>
  </soapenv:Body>
</soapenv:Envelope>`;
const SOAP12_ENVELOPE_WITHOUT_HEADER = `<env:Envelope xmlns:env="${NS.soap12}"><env:Body><insert xmlns="${INCIDENT}"><priority>1</priority></insert></env:Body></env:Envelope>`;
const DEFAULT_NS_ENVELOPE = `<Envelope xmlns="${NS.soap11}"><Body><get xmlns="${INCIDENT}"><sys_id>0123456789abcdef0123456789abcdef</sys_id></get></Body></Envelope>`;

let dir: string;
let rsa: TestCertificate;
let ec: TestCertificate;
let noSkiCertPem: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "sign-rules-"));
  rsa = makeCertificate(dir, "partner-rsa", { key: "rsa2048", subject: "/C=US/O=Partner, Inc./CN=partner.soap" });
  ec = makeCertificate(dir, "partner-ec", { key: "ec-p256" });
  execFileSync("openssl", ["req", "-new", "-key", rsa.keyPath, "-subj", "/CN=no-ski", "-out", join(dir, "noski.csr")]);
  execFileSync("openssl", ["x509", "-req", "-in", join(dir, "noski.csr"), "-signkey", rsa.keyPath, "-days", "5", "-out", join(dir, "noski.pem")], { stdio: "ignore" });
  noSkiCertPem = readFileSync(join(dir, "noski.pem"), "utf8");
});
after(() => rmSync(dir, { recursive: true, force: true }));

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, "text/xml");
}
function all(root: Document | Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName)) as Element[];
}
function one(root: Document | Element, namespace: string, localName: string): Element {
  const found = all(root, namespace, localName);
  assert.equal(found.length, 1, `exactly one ${localName}`);
  return found[0]!;
}
function elementChildren(parent: Element): Element[] {
  return (Array.from(parent.childNodes) as Element[]).filter((node) => node.nodeType === 1);
}
function assertVerified(signed: string, certPem: string): void {
  assert.deepEqual(verifyWithXmlsec1(signed, certPem), { kind: "verified" });
}

describe("signEnvelope output verifies with xmlsec1", { skip: missingToolReason("xmlsec1") }, () => {
  for (const keyReference of KEY_REFERENCE_STYLES) {
    for (const digest of DIGEST_NAMES) {
      test(`RSA, ${keyReference}, ${digest}: verifies, and a changed Body does not`, () => {
        const signed = signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, keyReference, digest, timestampSeconds: 300 });
        const document = parse(signed);
        assert.equal(one(document, NS.ds, "SignatureMethod").getAttribute("Algorithm"), DSIG_ALGORITHMS.signature[`rsa${capital(digest)}`]);
        assert.deepEqual(all(document, NS.ds, "DigestMethod").map((m) => m.getAttribute("Algorithm")), [DSIG_ALGORITHMS.digest[digest], DSIG_ALGORITHMS.digest[digest]]);
        assertVerified(signed, rsa.certPem);
        assert.equal(verifyWithXmlsec1(signed.replace("<priority>2<", "<priority>1<"), rsa.certPem).kind, "failed");
      });
    }
    test(`ECDSA P-256, ${keyReference}, sha256: verifies (r||s signature value)`, () => {
      const signed = signEnvelope(SOAP11_ENVELOPE, { key: ec.keyPem, cert: ec.certPem, keyReference, timestampSeconds: 60 });
      assert.equal(one(parse(signed), NS.ds, "SignatureMethod").getAttribute("Algorithm"), DSIG_ALGORITHMS.signature.ecdsaSha256);
      assert.equal(Buffer.from(one(parse(signed), NS.ds, "SignatureValue").textContent!, "base64").length, 64);
      assertVerified(signed, ec.certPem);
    });
  }

  test("inclusive c14n (RSA and ECDSA) verifies, with c14n 1.0 named in SignedInfo and every Transform", () => {
    for (const identity of [rsa, ec]) {
      const signed = signEnvelope(SOAP11_ENVELOPE, { key: identity.keyPem, cert: identity.certPem, canonicalization: "inclusive", timestampSeconds: 60 });
      const document = parse(signed);
      assert.equal(one(document, NS.ds, "CanonicalizationMethod").getAttribute("Algorithm"), DSIG_ALGORITHMS.c14n.inclusive);
      assert.deepEqual(all(document, NS.ds, "Transform").map((t) => t.getAttribute("Algorithm")), [DSIG_ALGORITHMS.c14n.inclusive, DSIG_ALGORITHMS.c14n.inclusive]);
      assertVerified(signed, identity.certPem);
    }
  });

  test("SOAP 1.2 without a Header: the Header is created with the Envelope's prefix and the result verifies", () => {
    const signed = signEnvelope(SOAP12_ENVELOPE_WITHOUT_HEADER, { key: rsa.keyPem, cert: rsa.certPem });
    const document = parse(signed);
    const [header, body] = elementChildren(document.documentElement!);
    assert.equal(header!.tagName, "env:Header");
    assert.equal(body!.tagName, "env:Body");
    assert.equal(one(document, NS.wsse, "Security").getAttributeNS(NS.soap12, "mustUnderstand"), "1");
    assertVerified(signed, rsa.certPem);
  });

  test("an Envelope in the default namespace gets a prefixed mustUnderstand and verifies", () => {
    const signed = signEnvelope(DEFAULT_NS_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, keyReference: "thumbprint" });
    assert.equal(one(parse(signed), NS.wsse, "Security").getAttributeNS(NS.soap11, "mustUnderstand"), "1");
    assertVerified(signed, rsa.certPem);
  });

  test("signatureHash may differ from the reference digest (rsa-sha1 over sha256 digests)", () => {
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, digest: "sha256", signatureHash: "sha1" });
    assert.equal(one(parse(signed), NS.ds, "SignatureMethod").getAttribute("Algorithm"), DSIG_ALGORITHMS.signature.rsaSha1);
    assertVerified(signed, rsa.certPem);
  });
});

describe("signEnvelope structure", () => {
  test("wsse:Security is the first header block, mustUnderstand=1, with Timestamp, BST, UsernameToken, Signature in that order", () => {
    const envelope = SOAP11_ENVELOPE.replace("<soapenv:Header/>", `<soapenv:Header><other xmlns="urn:x">1</other></soapenv:Header>`);
    const signed = signEnvelope(envelope, { key: rsa.keyPem, cert: rsa.certPem, timestampSeconds: 300, username: "partner.soap", password: "pw" });
    const document = parse(signed);
    const header = one(document, NS.soap11, "Header");
    const security = elementChildren(header)[0]!;
    assert.equal(security.namespaceURI, NS.wsse);
    assert.equal(security.localName, "Security");
    assert.equal(security.getAttributeNS(NS.soap11, "mustUnderstand"), "1");
    assert.deepEqual(elementChildren(security).map((child) => child.localName), ["Timestamp", "BinarySecurityToken", "UsernameToken", "Signature"]);
  });

  test("the Signature references the Timestamp then the Body by their wsu:Id, each with one exclusive c14n Transform", () => {
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, timestampSeconds: 300 });
    const document = parse(signed);
    const timestampId = one(document, NS.wsu, "Timestamp").getAttributeNS(NS.wsu, "Id");
    const bodyId = one(document, NS.soap11, "Body").getAttributeNS(NS.wsu, "Id");
    assert.deepEqual(all(document, NS.ds, "Reference").map((r) => r.getAttribute("URI")), [`#${timestampId}`, `#${bodyId}`]);
    for (const reference of all(document, NS.ds, "Reference")) {
      assert.deepEqual(all(reference, NS.ds, "Transform").map((t) => t.getAttribute("Algorithm")), [DSIG_ALGORITHMS.c14n.exclusive]);
    }
    assert.equal(one(document, NS.ds, "CanonicalizationMethod").getAttribute("Algorithm"), DSIG_ALGORITHMS.c14n.exclusive);
  });

  test("a Body that already has a wsu:Id keeps it and is referenced by it", () => {
    const envelope = SOAP11_ENVELOPE.replace("<soapenv:Body>", `<soapenv:Body xmlns:wsu="${NS.wsu}" wsu:Id="my-body">`);
    const signed = signEnvelope(envelope, { key: rsa.keyPem, cert: rsa.certPem });
    assert.deepEqual(all(parse(signed), NS.ds, "Reference").map((r) => r.getAttribute("URI")), ["#my-body"]);
  });

  test("Timestamp Created is the clock's now and Expires is now + timestampSeconds", () => {
    const clock = new ManualClock("2025-03-04T05:06:07.089Z");
    const document = parse(signEnvelope(SOAP11_ENVELOPE, { timestampSeconds: 300, clock }));
    assert.equal(one(document, NS.wsu, "Created").textContent, "2025-03-04T05:06:07.089Z");
    assert.equal(one(document, NS.wsu, "Expires").textContent, "2025-03-04T05:11:07.089Z");
    assert.equal(all(document, NS.ds, "Signature").length, 0);
  });

  test("BST reference: the STR points at the BinarySecurityToken holding the certificate DER, ValueType X509v3", () => {
    const document = parse(signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem }));
    const token = one(document, NS.wsse, "BinarySecurityToken");
    assert.equal(token.getAttribute("ValueType"), WSS_TYPES.x509v3);
    assert.equal(token.getAttribute("EncodingType"), WSS_TYPES.base64Binary);
    assert.equal(token.textContent, pemBody(rsa.certPem));
    const reference = one(one(document, NS.ds, "KeyInfo"), NS.wsse, "Reference");
    assert.equal(reference.getAttribute("URI"), `#${token.getAttributeNS(NS.wsu, "Id")}`);
    assert.equal(reference.getAttribute("ValueType"), WSS_TYPES.x509v3);
  });

  test("issuer-serial reference: RFC 2253 issuer (escaped comma) and decimal serial, as openssl prints them", () => {
    const document = parse(signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, keyReference: "issuer-serial" }));
    const keyInfo = one(document, NS.ds, "KeyInfo");
    assert.equal(one(keyInfo, NS.wsse, "SecurityTokenReference").parentNode, keyInfo);
    const opensslIssuer = execFileSync("openssl", ["x509", "-in", rsa.certPath, "-noout", "-issuer", "-nameopt", "RFC2253"], { encoding: "utf8" }).trim().replace(/^issuer=/, "");
    assert.match(opensslIssuer, /^[^\n]*O=Partner\\, Inc\.[^\n]*$/);
    assert.equal(one(keyInfo, NS.ds, "X509IssuerName").textContent, opensslIssuer);
    const serialHex = execFileSync("openssl", ["x509", "-in", rsa.certPath, "-noout", "-serial"], { encoding: "utf8" }).trim().replace(/^serial=/, "");
    assert.equal(one(keyInfo, NS.ds, "X509SerialNumber").textContent, BigInt(`0x${serialHex}`).toString(10));
    assert.equal(all(document, NS.wsse, "BinarySecurityToken").length, 0);
  });

  test("ski and thumbprint references: KeyIdentifier with the SKI extension / SHA-1 of the DER, Base64Binary", () => {
    const skiHex = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(execFileSync("openssl", ["x509", "-in", rsa.certPath, "-noout", "-text"], { encoding: "utf8" }))![1]!.replaceAll(":", "");
    const ski = one(parse(signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, keyReference: "ski" })), NS.wsse, "KeyIdentifier");
    assert.equal(ski.getAttribute("ValueType"), WSS_TYPES.x509SubjectKeyIdentifier);
    assert.equal(ski.getAttribute("EncodingType"), WSS_TYPES.base64Binary);
    assert.equal(ski.textContent, Buffer.from(skiHex, "hex").toString("base64"));
    const thumbprint = one(parse(signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, keyReference: "thumbprint" })), NS.wsse, "KeyIdentifier");
    assert.equal(thumbprint.getAttribute("ValueType"), WSS_TYPES.thumbprintSha1);
    assert.equal(thumbprint.textContent, createHash("sha1").update(Buffer.from(pemBody(rsa.certPem), "base64")).digest("base64"));
  });

  test("x509data reference: ds:X509Data/ds:X509Certificate directly in ds:KeyInfo", () => {
    const keyInfo = one(parse(signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, keyReference: "x509data" })), NS.ds, "KeyInfo");
    assert.deepEqual(elementChildren(keyInfo).map((child) => child.tagName), ["ds:X509Data"]);
    assert.equal(one(keyInfo, NS.ds, "X509Certificate").textContent, pemBody(rsa.certPem));
  });

  test("PasswordDigest is Base64(SHA-1(nonce + created + password)) with Nonce (16 bytes) and Created", () => {
    const clock = new ManualClock("2025-01-02T03:04:05.000Z");
    const token = one(parse(signEnvelope(SOAP11_ENVELOPE, { username: "partner", password: "s3cret", passwordType: "digest", clock })), NS.wsse, "UsernameToken");
    const nonce = Buffer.from(one(token, NS.wsse, "Nonce").textContent!, "base64");
    assert.equal(nonce.length, 16);
    assert.equal(one(token, NS.wsse, "Nonce").getAttribute("EncodingType"), WSS_TYPES.base64Binary);
    const created = one(token, NS.wsu, "Created").textContent!;
    assert.equal(created, "2025-01-02T03:04:05.000Z");
    const password = one(token, NS.wsse, "Password");
    assert.equal(password.getAttribute("Type"), WSS_TYPES.passwordDigest);
    const expected = createHash("sha1").update(Buffer.concat([nonce, Buffer.from(created + "s3cret")])).digest("base64");
    assert.equal(password.textContent, expected);
    assert.equal(one(token, NS.wsse, "Username").textContent, "partner");
  });

  test("PasswordText carries the password as is, with a Nonce and Created too", () => {
    const token = one(parse(signEnvelope(SOAP11_ENVELOPE, { username: "partner", password: "a<b&c" })), NS.wsse, "UsernameToken");
    assert.equal(one(token, NS.wsse, "Password").getAttribute("Type"), WSS_TYPES.passwordText);
    assert.equal(one(token, NS.wsse, "Password").textContent, "a<b&c");
    assert.deepEqual(elementChildren(token).map((child) => child.localName), ["Username", "Password", "Nonce", "Created"]);
  });

  test("two tokens never share a nonce", () => {
    const nonceOf = (xml: string) => one(parse(xml), NS.wsse, "Nonce").textContent;
    const options = { username: "partner", password: "pw", passwordType: "digest" } as const;
    assert.notEqual(nonceOf(signEnvelope(SOAP11_ENVELOPE, options)), nonceOf(signEnvelope(SOAP11_ENVELOPE, options)));
  });
});

describe("signEnvelope refusals", () => {
  const cases: [string, () => string, string][] = [
    ["a key without a certificate", () => signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem }), "a private key was given without its certificate"],
    ["a certificate without a key", () => signEnvelope(SOAP11_ENVELOPE, { cert: rsa.certPem }), "a certificate or key reference was given without a private key"],
    ["a password without a username", () => signEnvelope(SOAP11_ENVELOPE, { password: "pw" }), "a password was given without a username"],
    ["an SKI reference to a certificate without the extension", () => signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: noSkiCertPem, keyReference: "ski" }), "the certificate has no SubjectKeyIdentifier extension: use another key reference"],
    ["an Ed25519 key", () => signEnvelope(SOAP11_ENVELOPE, { key: generateKeyPairSync("ed25519").privateKey, cert: rsa.certPem }), "unsupported key type ed25519: use an RSA or EC private key"],
    ["a public key", () => signEnvelope(SOAP11_ENVELOPE, { key: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey, cert: ec.certPem }), "the signing key must be a private key"],
    ["a key that is not PEM", () => signEnvelope(SOAP11_ENVELOPE, { key: "not a key", cert: rsa.certPem }), "the key is not a PEM private key (encrypted keys are not supported)"],
    ["a certificate that is not X.509", () => signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: "not a cert" }), "the certificate is not a PEM or DER X.509 certificate"],
    ["input that is not a SOAP Envelope", () => signEnvelope("<a/>", { timestampSeconds: 5 }), "the input is not a SOAP 1.1 or 1.2 Envelope"],
    ["signing a Timestamp that was not asked for", () => signEnvelope(SOAP11_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, signedParts: ["timestamp"] }), "cannot sign the timestamp: the envelope has none"],
    ["a non-positive timestamp", () => signEnvelope(SOAP11_ENVELOPE, { timestampSeconds: 0 }), "timestampSeconds must be a positive number of seconds"],
  ];
  for (const [name, call, message] of cases) {
    test(`${name} → SignError "${message}"`, () => {
      assert.throws(call, (error: unknown) => error instanceof SignError && error.message === message);
    });
  }
  test("malformed XML → SignError naming it", () => {
    assert.throws(() => signEnvelope("<soapenv:Envelope", {}), (error: unknown) => error instanceof SignError && error.message.startsWith("the input is not well-formed XML"));
  });
});

describe("sign command", () => {
  async function runWith(argv: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    io.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    io.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    io.stdin.end(stdin);
    const code = await runSign(argv, io);
    return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  }

  test("signs stdin to stdout with --key --cert --timestamp --key-reference --digest-algorithm, verified by xmlsec1", { skip: missingToolReason("xmlsec1") }, async () => {
    const result = await runWith(["--key", rsa.keyPath, "--cert", rsa.certPath, "--timestamp", "120", "--key-reference", "issuer-serial", "--digest-algorithm", "sha512"], SOAP11_ENVELOPE);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
    const document = parse(result.stdout);
    assert.equal(all(document, NS.ds, "X509IssuerSerial").length, 1);
    assert.equal(one(document, NS.ds, "SignatureMethod").getAttribute("Algorithm"), DSIG_ALGORITHMS.signature.rsaSha512);
    assertVerified(result.stdout, rsa.certPem);
  });

  test("--username --password --digest adds a PasswordDigest UsernameToken", async () => {
    const result = await runWith(["--username", "partner", "--password", "pw", "--digest"], SOAP11_ENVELOPE);
    assert.equal(result.code, 0);
    assert.equal(one(parse(result.stdout), NS.wsse, "Password").getAttribute("Type"), WSS_TYPES.passwordDigest);
  });

  const usage: [string[], string][] = [
    [["--key", "k.pem"], "sign: --key needs --cert"],
    [["--cert", "c.pem"], "sign: --cert needs --key"],
    [["--timestamp", "soon"], 'sign: --timestamp: expected a positive whole number of seconds, got "soon"'],
    [["--key", "k", "--cert", "c", "--key-reference", "keyname"], 'sign: --key-reference: expected one of bst, issuer-serial, ski, thumbprint, x509data, got "keyname"'],
    [["--key", "k", "--cert", "c", "--digest-algorithm", "md5"], 'sign: --digest-algorithm: expected one of sha256, sha384, sha512, sha1, got "md5"'],
    [["--password", "pw"], "sign: --password needs --username"],
    [["--username", "u", "--digest"], "sign: --digest needs --password"],
    [[], "sign: nothing to add: give --key and --cert, --username or --timestamp"],
    [["--frobnicate"], "sign: Unknown option '--frobnicate'"],
  ];
  for (const [argv, message] of usage) {
    test(`usage error ${JSON.stringify(argv)} → exit 2, "${message}"`, async () => {
      const result = await runWith(argv, SOAP11_ENVELOPE);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.split("\n")[0]!.startsWith(message), true, result.stderr);
      assert.match(result.stderr, /^usage: wss-gateway sign/m);
    });
  }

  test("an unreadable --key file → exit 1 naming the flag, nothing on stdout", async () => {
    const missing = join(dir, "missing.key");
    const result = await runWith(["--key", missing, "--cert", rsa.certPath], SOAP11_ENVELOPE);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, `sign: --key: cannot read ${missing} (ENOENT)\n`);
  });

  test("input that is not an envelope → exit 1 with the reason", async () => {
    const result = await runWith(["--timestamp", "60"], "<not-soap/>");
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "sign: the input is not a SOAP 1.1 or 1.2 Envelope\n");
  });

  test("runs as a process on real stdin/stdout", () => {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "-e", `import("./src/cli/sign.ts").then(async (m) => { process.exitCode = await m.runSign(process.argv.slice(1), process); })`, "--", "--timestamp", "30"],
      { input: SOAP11_ENVELOPE, encoding: "utf8", cwd: join(import.meta.dirname, "..", "..") },
    );
    assert.equal(child.stderr, "");
    assert.equal(child.status, 0);
    assert.equal(all(parse(child.stdout), NS.wsu, "Timestamp").length, 1);
  });
});

function capital(digest: (typeof DIGEST_NAMES)[number]): "Sha1" | "Sha256" | "Sha384" | "Sha512" {
  return `S${digest.slice(1)}` as "Sha1" | "Sha256" | "Sha384" | "Sha512";
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}
