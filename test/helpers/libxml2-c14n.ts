/**
 * libxml2's canonical forms of one element, as xmlsec1 computes them for a
 * same-document Reference: the document gets a signature template whose
 * References name the element (URI="#id") with the c14n 1.0, c14n 1.1 and
 * exclusive c14n transforms; `xmlsec1 --sign --store-references
 * --print-debug` prints each Reference's pre-digest bytes, i.e. libxml2's
 * canonical form of the element as the apex of a document subset.
 * (lxml's `tostring(method="c14n")` has no c14n 1.1, and lxml's
 * `canonicalize()` is C14N 2.0, another algorithm.)
 *
 *   libxml2Canonical(xml, "target", "t")   // the element <t Id="target"> (an Id value used once)
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DSIG_ALGORITHMS, NS } from "../../src/xml/ns.js";

export interface Libxml2Canonical {
  readonly inclusive10: string;
  readonly inclusive11: string;
  readonly exclusive: string;
}

let workDir: string | undefined;
let documents = 0;

function keyFile(): string {
  if (!workDir) {
    workDir = mkdtempSync(join(tmpdir(), "libxml2-c14n-"));
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(workDir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
  }
  return join(workDir, "key.pem");
}

const ALGORITHMS = [DSIG_ALGORITHMS.c14n.inclusive, DSIG_ALGORITHMS.c14n.inclusive11, DSIG_ALGORITHMS.c14n.exclusive] as const;

function template(id: string): string {
  const reference = (algorithm: string) =>
    `<Reference URI="#${id}"><Transforms><Transform Algorithm="${algorithm}"/></Transforms>` +
    `<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference>`;
  return (
    `<Signature xmlns="${NS.ds}"><SignedInfo><CanonicalizationMethod Algorithm="${DSIG_ALGORITHMS.c14n.exclusive}"/>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>${ALGORITHMS.map(reference).join("")}</SignedInfo>` +
    `<SignatureValue/></Signature>`
  );
}

/**
 * The canonical forms of the element with local name `localName` whose attribute `Id` is `id`.
 * The signature template goes at the end of the document element, which must not be that element.
 */
export function libxml2Canonical(xml: string, id: string, localName: string): Libxml2Canonical {
  const end = xml.lastIndexOf("</");
  if (end < 0) throw new Error("the document element needs an end tag");
  const key = keyFile();
  const file = join(workDir!, `doc-${documents++}.xml`);
  writeFileSync(file, xml.slice(0, end) + template(id) + xml.slice(end));
  const run = spawnSync("xmlsec1", ["--sign", "--privkey-pem", key, "--id-attr:Id", localName, "--store-references", "--print-debug", file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = run.stdout.toString("utf8");
  if (run.status !== 0) throw new Error(`xmlsec1 failed: ${run.stderr.toString("utf8").slice(0, 500)}`);
  const buffers: string[] = [];
  const START = "== PreDigest data - start buffer:\n";
  const END = "\n== PreDigest data - end buffer";
  for (let at = output.indexOf(START); at >= 0; at = output.indexOf(START, at)) {
    const stop = output.indexOf(END, at);
    buffers.push(output.slice(at + START.length, stop));
    at = stop;
  }
  if (buffers.length !== ALGORITHMS.length) throw new Error(`xmlsec1 printed ${buffers.length} pre-digest buffers`);
  return { inclusive10: buffers[0]!, inclusive11: buffers[1]!, exclusive: buffers[2]! };
}
