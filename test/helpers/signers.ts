/**
 * Independent WS-Security signers, to prove that the gateway admits what
 * real clients send (and, first, that our own signer agrees with them):
 *
 *   signWithXmlsec1(envelope, identity, { keyReference: "x509-ski", timestampSeconds: 300 })
 *   signWithZeep(envelope, identity, { keyReference: "bst", username: "bob", password: "pw", passwordType: "digest" })
 *   signWithWss4j(envelope, identity, { keyReference: "thumbprint", timestampSeconds: 300 })
 *   verifyWithXmlsec1(signed, identity.certPem)   // { kind: "verified" } | { kind: "failed", output }
 *
 * `identity` is a TestCertificate from ./openssl-certificate.ts. Every
 * signer signs the Body and, when one is added, the Timestamp. Tests skip a
 * signer only when its tool is not installed (`SIGNER_TOOLS`); a tool that
 * is present but fails throws.
 *
 * Key references each signer produces (inside ds:KeyInfo):
 *   xmlsec1 — "bst": wsse:SecurityTokenReference/wsse:Reference to a BinarySecurityToken;
 *             "x509-certificate": ds:X509Data/ds:X509Certificate (filled in by xmlsec1);
 *             "x509-issuer-serial": ds:X509Data/ds:X509IssuerSerial (issuer and serial as
 *               printed by `openssl x509 -nameopt RFC2253`; xmlsec1 1.2 does not fill them);
 *             "x509-ski": ds:X509Data/ds:X509SKI (filled in by xmlsec1).
 *   zeep    — "bst": BinarySignature; "x509data": Signature, i.e.
 *             wsse:SecurityTokenReference/ds:X509Data with an EMPTY ds:X509IssuerSerial and
 *             the ds:X509Certificate (base64 with line breaks). No mustUnderstand.
 *   WSS4J   — "bst" (BST_DIRECT_REFERENCE), "issuer-serial" (STR/ds:X509Data/ds:X509IssuerSerial),
 *             "ski" (STR/KeyIdentifier X509SubjectKeyIdentifier), "thumbprint" (STR/KeyIdentifier
 *             ThumbprintSHA1); exclusive c14n with InclusiveNamespaces PrefixList.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock, type Clock } from "../../src/clock.js";
import { DSIG_ALGORITHMS, NS, WSS_TYPES } from "../../src/xml/ns.js";
import { element } from "../../src/wss/sign/dom-builder.js";
import { ensureSecurityHeader, parseEnvelope, serializeEnvelope } from "../../src/wss/sign/envelope-dom.js";
import { buildTimestamp } from "../../src/wss/sign/timestamp.js";
import type { TestCertificate } from "./openssl-certificate.js";

const INTEROP_DIR = join(dirname(fileURLToPath(import.meta.url)), "interop");
const SYSTEM_PYTHON = "/usr/bin/python3";
const WSS4J_CLASSPATH = [
  "wss4j.jar",
  "xmlsec.jar",
  "commons-logging.jar",
  "slf4j-api.jar",
  "slf4j-nop.jar",
  "commons-codec.jar",
  "woodstox-core.jar",
  "stax2-api.jar",
].map((jar) => join("/usr/share/java", jar));

export type SignerDigest = "sha1" | "sha256" | "sha384" | "sha512";

/** Which independent signers are installed; a test skips a signer only when this says it is missing. */
export const SIGNER_TOOLS = {
  xmlsec1: succeeds("xmlsec1", ["--version"]),
  zeep: succeeds(SYSTEM_PYTHON, ["-c", "import zeep, xmlsec, lxml"]),
  wss4j: WSS4J_CLASSPATH.every((jar) => existsSync(jar)) && succeeds("javac", ["-version"]) && succeeds("java", ["-version"]),
} as const;

export function missingToolReason(tool: keyof typeof SIGNER_TOOLS): string | false {
  if (SIGNER_TOOLS[tool]) return false;
  const packages = {
    xmlsec1: "xmlsec1",
    zeep: "python3-zeep python3-xmlsec",
    wss4j: "libwss4j-java default-jdk-headless",
  }[tool];
  return `${tool} is not installed (Debian: ${packages})`;
}

// ---------------------------------------------------------------- xmlsec1

export type Xmlsec1KeyReference = "bst" | "x509-certificate" | "x509-issuer-serial" | "x509-ski";
export const XMLSEC1_KEY_REFERENCES: readonly Xmlsec1KeyReference[] = ["bst", "x509-certificate", "x509-issuer-serial", "x509-ski"];

export interface Xmlsec1SignOptions {
  readonly keyReference: Xmlsec1KeyReference;
  readonly digest?: SignerDigest;
  /** The c14n of SignedInfo and of every Reference (default exclusive). */
  readonly c14n?: "exclusive" | "inclusive" | "inclusive11";
  readonly timestampSeconds?: number;
  readonly clock?: Clock;
}

/**
 * Writes a signature template (SignedInfo with references to the Body and
 * the Timestamp, empty DigestValue/SignatureValue, KeyInfo for the chosen
 * reference) and lets `xmlsec1 --sign` compute it.
 */
export function signWithXmlsec1(envelope: string, identity: TestCertificate, options: Xmlsec1SignOptions): string {
  const dom = parseEnvelope(envelope);
  const { document } = dom;
  const security = ensureSecurityHeader(dom, true);
  const digest = options.digest ?? "sha256";
  const references: string[] = [];
  if (options.timestampSeconds !== undefined) {
    security.appendChild(buildTimestamp(document, "TS-xmlsec1", (options.clock ?? systemClock).now(), options.timestampSeconds));
    references.push("TS-xmlsec1");
  }
  if (!dom.body.getAttributeNS(NS.wsu, "Id")) {
    dom.body.setAttributeNS(NS.xmlns, "xmlns:wsu", NS.wsu);
    dom.body.setAttributeNS(NS.wsu, "wsu:Id", "Body-xmlsec1");
  }
  references.push(dom.body.getAttributeNS(NS.wsu, "Id")!);

  const certificate = new X509Certificate(identity.certPem);
  let keyInfoContent;
  switch (options.keyReference) {
    case "bst":
      security.appendChild(
        element(
          document,
          NS.wsse,
          "wsse:BinarySecurityToken",
          { EncodingType: WSS_TYPES.base64Binary, ValueType: WSS_TYPES.x509v3, "wsu:Id": "X509-xmlsec1" },
          [certificate.raw.toString("base64")],
        ),
      );
      keyInfoContent = element(document, NS.wsse, "wsse:SecurityTokenReference", {}, [
        element(document, NS.wsse, "wsse:Reference", { URI: "#X509-xmlsec1", ValueType: WSS_TYPES.x509v3 }),
      ]);
      break;
    case "x509-certificate":
      keyInfoContent = element(document, NS.ds, "ds:X509Data", {}, [element(document, NS.ds, "ds:X509Certificate")]);
      break;
    case "x509-issuer-serial": {
      const issuer = opensslField(identity.certPath, "-issuer").replace(/^issuer=/, "");
      const serialHex = opensslField(identity.certPath, "-serial").replace(/^serial=/, "");
      keyInfoContent = element(document, NS.ds, "ds:X509Data", {}, [
        element(document, NS.ds, "ds:X509IssuerSerial", {}, [
          element(document, NS.ds, "ds:X509IssuerName", {}, [issuer]),
          element(document, NS.ds, "ds:X509SerialNumber", {}, [BigInt(`0x${serialHex}`).toString(10)]),
        ]),
      ]);
      break;
    }
    case "x509-ski":
      keyInfoContent = element(document, NS.ds, "ds:X509Data", {}, [element(document, NS.ds, "ds:X509SKI")]);
      break;
  }

  const keyType = createPrivateKey(identity.keyPem).asymmetricKeyType === "ec" ? "ec" : "rsa";
  const signatureMethod = `${keyType === "ec" ? "ecdsa" : "rsa"}-${digest}`;
  const signatureUri = {
    "rsa-sha1": DSIG_ALGORITHMS.signature.rsaSha1,
    "rsa-sha256": DSIG_ALGORITHMS.signature.rsaSha256,
    "rsa-sha384": DSIG_ALGORITHMS.signature.rsaSha384,
    "rsa-sha512": DSIG_ALGORITHMS.signature.rsaSha512,
    "ecdsa-sha1": DSIG_ALGORITHMS.signature.ecdsaSha1,
    "ecdsa-sha256": DSIG_ALGORITHMS.signature.ecdsaSha256,
    "ecdsa-sha384": DSIG_ALGORITHMS.signature.ecdsaSha384,
    "ecdsa-sha512": DSIG_ALGORITHMS.signature.ecdsaSha512,
  }[signatureMethod]!;
  const c14n = DSIG_ALGORITHMS.c14n[options.c14n ?? "exclusive"];
  security.appendChild(
    element(document, NS.ds, "ds:Signature", { "xmlns:ds": NS.ds }, [
      element(document, NS.ds, "ds:SignedInfo", {}, [
        element(document, NS.ds, "ds:CanonicalizationMethod", { Algorithm: c14n }),
        element(document, NS.ds, "ds:SignatureMethod", { Algorithm: signatureUri }),
        ...references.map((id) =>
          element(document, NS.ds, "ds:Reference", { URI: `#${id}` }, [
            element(document, NS.ds, "ds:Transforms", {}, [element(document, NS.ds, "ds:Transform", { Algorithm: c14n })]),
            element(document, NS.ds, "ds:DigestMethod", { Algorithm: DSIG_ALGORITHMS.digest[digest] }),
            element(document, NS.ds, "ds:DigestValue"),
          ]),
        ),
      ]),
      element(document, NS.ds, "ds:SignatureValue"),
      element(document, NS.ds, "ds:KeyInfo", {}, [keyInfoContent]),
    ]),
  );

  return withTempDir((dir) => {
    const templatePath = join(dir, "template.xml");
    writeFileSync(templatePath, serializeEnvelope(dom));
    return run("xmlsec1", [
      "--sign",
      "--privkey-pem",
      `${identity.keyPath},${identity.certPath}`,
      ...xmlsec1IdAttributes(dom.soapNamespace),
      templatePath,
    ]);
  });
}

export type Xmlsec1Verdict = { readonly kind: "verified" } | { readonly kind: "failed"; readonly output: string };

/** `xmlsec1 --verify` with the signer's certificate given as the trusted key (Body, Timestamp and BST ids registered). */
export function verifyWithXmlsec1(envelope: string, certPem: string): Xmlsec1Verdict {
  const soapNamespace = envelope.includes(NS.soap12) ? NS.soap12 : NS.soap11;
  return withTempDir((dir) => {
    const envelopePath = join(dir, "signed.xml");
    const certPath = join(dir, "signer.pem");
    writeFileSync(envelopePath, envelope);
    writeFileSync(certPath, certPem);
    const result = spawnSync(
      "xmlsec1",
      ["--verify", "--pubkey-cert-pem", certPath, ...xmlsec1IdAttributes(soapNamespace), envelopePath],
      { encoding: "utf8" },
    );
    if (result.error) throw result.error;
    const output = `${result.stdout}${result.stderr}`;
    return result.status === 0 && /^OK$/m.test(output) ? { kind: "verified" } : { kind: "failed", output };
  });
}

/** The `--id-attr` options that register the wsu:Id / Id attributes xmlsec1 must resolve (Body, Timestamp, tokens). */
export function xmlsec1IdAttributes(soapNamespace: string): string[] {
  return [
    "--id-attr:Id", `${soapNamespace}:Body`,
    "--id-attr:Id", `${NS.wsu}:Timestamp`,
    "--id-attr:Id", `${NS.wsse}:BinarySecurityToken`,
    "--id-attr:Id", `${NS.wsse}:UsernameToken`,
  ];
}

function opensslField(certPath: string, field: "-issuer" | "-serial"): string {
  return run("openssl", ["x509", "-in", certPath, "-noout", field, "-nameopt", "RFC2253"]).trim();
}

// ---------------------------------------------------------------- zeep

export type ZeepKeyReference = "bst" | "x509data";
export const ZEEP_KEY_REFERENCES: readonly ZeepKeyReference[] = ["bst", "x509data"];

export interface TokenOptions {
  readonly timestampSeconds?: number;
  readonly username?: string;
  readonly password?: string;
  readonly passwordType?: "text" | "digest";
}

export interface ZeepSignOptions extends TokenOptions {
  /** Without it, only the tokens are added (no signature). */
  readonly keyReference?: ZeepKeyReference;
  readonly digest?: SignerDigest;
}

export function signWithZeep(envelope: string, identity: TestCertificate | undefined, options: ZeepSignOptions): string {
  const args = [join(INTEROP_DIR, "zeep_sign.py"), ...tokenArgs(options)];
  if (options.keyReference !== undefined) {
    if (!identity) throw new Error("signWithZeep: a keyReference needs an identity");
    const digest = options.digest ?? "sha256";
    const keyType = createPrivateKey(identity.keyPem).asymmetricKeyType === "ec" ? "ecdsa" : "rsa";
    args.push(
      "--key", identity.keyPath,
      "--cert", identity.certPath,
      "--key-reference", options.keyReference,
      "--signature-method", `${keyType}-${digest}`,
      "--digest-method", digest,
    );
  }
  return run(SYSTEM_PYTHON, args, envelope);
}

// ---------------------------------------------------------------- WSS4J

export type Wss4jKeyReference = "bst" | "issuer-serial" | "ski" | "thumbprint";
export const WSS4J_KEY_REFERENCES: readonly Wss4jKeyReference[] = ["bst", "issuer-serial", "ski", "thumbprint"];

export interface Wss4jSignOptions extends TokenOptions {
  /** Without it, only the tokens are added (no signature). */
  readonly keyReference?: Wss4jKeyReference;
  readonly digest?: SignerDigest;
  /**
   * The ds:SignatureMethod URI (what CXF's `ws-security.asymmetric.signature.algorithm`
   * sets on WSS4J); default the key type with `digest`. "wss4j-default" sets none, so
   * WSS4J signs as WS-SecurityPolicy's algorithm suites say: RSA-SHA1.
   */
  readonly signatureAlgorithm?: string;
}

let wss4jClassDir: string | undefined;

/** Compiles Wss4jSign.java once per process into a temporary directory (class files are never committed). */
function compiledWss4jSigner(): string {
  if (wss4jClassDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "wss4j-signer-"));
    run("javac", ["-d", dir, "-cp", WSS4J_CLASSPATH.join(":"), join(INTEROP_DIR, "Wss4jSign.java")]);
    wss4jClassDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return wss4jClassDir;
}

export function signWithWss4j(envelope: string, identity: TestCertificate | undefined, options: Wss4jSignOptions): string {
  const classDir = compiledWss4jSigner();
  return withTempDir((dir) => {
    const args = ["-cp", [classDir, ...WSS4J_CLASSPATH].join(":"), "Wss4jSign", ...tokenArgs(options)];
    if (options.keyReference !== undefined) {
      if (!identity) throw new Error("signWithWss4j: a keyReference needs an identity");
      const keystorePath = join(dir, "signer.p12");
      run("openssl", [
        "pkcs12", "-export", "-in", identity.certPath, "-inkey", identity.keyPath,
        "-name", "signer", "-passout", "pass:changeit", "-out", keystorePath,
      ]);
      const digest = options.digest ?? "sha256";
      const keyType = createPrivateKey(identity.keyPem).asymmetricKeyType === "ec" ? "ecdsa" : "rsa";
      const signatureUri = keyType === "ecdsa"
        ? DSIG_ALGORITHMS.signature[`ecdsa${capitalized(digest)}`]
        : DSIG_ALGORITHMS.signature[`rsa${capitalized(digest)}`];
      args.push(
        "--keystore", keystorePath,
        "--alias", "signer",
        "--storepass", "changeit",
        "--key-reference", options.keyReference,
        "--digest-algorithm", DSIG_ALGORITHMS.digest[digest],
      );
      if (options.signatureAlgorithm !== "wss4j-default") args.push("--signature-algorithm", options.signatureAlgorithm ?? signatureUri);
    }
    return run("java", args, envelope);
  });
}

function capitalized(digest: SignerDigest): "Sha1" | "Sha256" | "Sha384" | "Sha512" {
  return `S${digest.slice(1)}` as "Sha1" | "Sha256" | "Sha384" | "Sha512";
}

// ---------------------------------------------------------------- shared

function tokenArgs(options: TokenOptions): string[] {
  const args: string[] = [];
  if (options.timestampSeconds !== undefined) args.push("--timestamp", String(options.timestampSeconds));
  if (options.username !== undefined) args.push("--username", options.username);
  if (options.password !== undefined) args.push("--password", options.password);
  if (options.passwordType === "digest") args.push("--digest");
  return args;
}

function run(command: string, args: readonly string[], stdin?: string): string {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      input: stdin ?? "",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").slice(0, 2000);
    throw new Error(`${command} failed: ${stderr || (error as Error).message}`);
  }
}

function succeeds(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: "ignore" });
  return result.error === undefined && result.status === 0;
}

function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "wss-signer-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
