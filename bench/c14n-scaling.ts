/**
 * How canonicalization cost grows with the size of the canonicalized
 * element: our inclusive c14n 1.0 (src/wss/inclusive-c14n.ts) and exclusive
 * c14n, streamed into SHA-256 as the verifier does, against xml-crypto's
 * C14nCanonicalization (the inclusive renderer the verifier used before,
 * which copies the namespace scope for every child node).
 *
 *   taskset -c 1 node --import tsx bench/c14n-scaling.ts [--rounds 5] [--sizes 0.5,1,2,3.7] [--no-xml-crypto] [--namespaced] [--tree]
 *
 * The Body is an insertMultiple of records (element-heavy, the worst case
 * for per-node costs) under an Envelope that declares eight namespaces;
 * with --namespaced each record also declares a prefix of its own and uses
 * it on an attribute (so every record changes the namespace scope). The
 * tree is @xmldom's (the request parser's), or with --tree the compact
 * tree of src/xml/tree-parser.ts.
 * Prints, per size in MB, the median milliseconds and the milliseconds per
 * MB: a linear canonicalizer keeps the per-MB figure flat.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { C14nCanonicalization } from "xml-crypto";
import { C14N_ALGORITHMS, canonicalizeTo, type C14nAlgorithm, type C14nElement } from "../src/wss/c14n.js";
import { NS } from "../src/xml/ns.js";
import { xmlParser } from "../src/xml/parse.js";
import { parseTree } from "../src/xml/tree-parser.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
};
const rounds = Number(option("rounds", "5"));
const sizesMb = option("sizes", "0.5,1,2,3.7").split(",").map(Number);
const withXmlCrypto = !args.includes("--no-xml-crypto");
const namespaced = args.includes("--namespaced");
const compactTree = args.includes("--tree");

const LIMITS = { maxXmlDepth: 128, maxXmlElements: 10_000_000, maxAttributesPerElement: 64 };

/** The SOAP Body of `xml` in the chosen tree. */
function parseBody(xml: string): C14nElement {
  let root: C14nElement | null;
  if (compactTree) {
    const parsed = parseTree(xml, LIMITS);
    if (parsed.kind !== "parsed") throw new Error(parsed.reason);
    root = parsed.document.documentElement;
  } else {
    const parsed = xmlParser.parse(xml, LIMITS);
    if (parsed.kind !== "parsed") throw new Error(parsed.reason);
    root = parsed.document.documentElement as unknown as C14nElement;
  }
  for (let child = root?.firstChild ?? null; child; child = child.nextSibling) {
    if (child.nodeType === 1 && (child as C14nElement).localName === "Body") return child as C14nElement;
  }
  throw new Error("no Body");
}

function envelope(targetBytes: number): string {
  const head =
    `<soapenv:Envelope xmlns:soapenv="${NS.soap11}" xmlns:wsu="${NS.wsu}" xmlns:wsse="${NS.wsse}" xmlns:ds="${NS.ds}" ` +
    `xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
    `xmlns:a="urn:a" xmlns:b="urn:b"><soapenv:Header/><soapenv:Body wsu:Id="Body">` +
    `<inc:insertMultiple xmlns:inc="http://www.service-now.com/incident">`;
  const tail = `</inc:insertMultiple></soapenv:Body></soapenv:Envelope>`;
  const records: string[] = [];
  let size = head.length + tail.length;
  for (let i = 0; size < targetBytes; i++) {
    const record =
      (namespaced ? `<record xmlns:r${i % 50}="urn:record:${i}" r${i % 50}:n="${i}">` : `<record>`) +
      `<number>INC${String(i).padStart(7, "0")}</number><short_description>printer &amp; fax ${i}</short_description>` +
      `<priority>${i % 5}</priority><active>true</active><caller_id>user${i % 97}</caller_id></record>`;
    records.push(record);
    size += record.length;
  }
  return head + records.join("") + tail;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(run: () => void): number {
  run(); // warm-up, not counted
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function ours(body: C14nElement, algorithm: C14nAlgorithm): () => void {
  return () => {
    const hash = createHash("sha256");
    const result = canonicalizeTo(body, algorithm, [], { write: (chunk) => hash.update(chunk, "utf8") });
    if (result.kind !== "written") throw new Error(result.reason);
    hash.digest();
  };
}

function xmlCrypto(body: C14nElement): () => void {
  return () => {
    createHash("sha256").update(new C14nCanonicalization().process(body as never, { ancestorNamespaces: [] }), "utf8").digest();
  };
}

console.log(`c14n scaling${namespaced ? " (namespaced records)" : ""} on the ${compactTree ? "compact tree" : "@xmldom tree"}, ${rounds} rounds per cell after one warm-up, median ms (ms per MB); node ${process.version}`);
console.log(["size MB", "elements", "ours inclusive 1.0", "ours exclusive", ...(withXmlCrypto ? ["xml-crypto inclusive"] : [])].join(" | "));
for (const sizeMb of sizesMb) {
  const xml = envelope(sizeMb * 1024 * 1024);
  const body = parseBody(xml);
  const megabytes = Buffer.byteLength(xml) / (1024 * 1024);
  const elements = (xml.match(/<[a-z_]/gi) ?? []).length;
  const cells = [ours(body, C14N_ALGORITHMS.inclusive10), ours(body, C14N_ALGORITHMS.exclusive), ...(withXmlCrypto ? [xmlCrypto(body)] : [])].map((run) => {
    const ms = time(run);
    return `${ms.toFixed(1)} (${(ms / megabytes).toFixed(1)})`;
  });
  console.log([megabytes.toFixed(2), String(elements), ...cells].join(" | "));
}
