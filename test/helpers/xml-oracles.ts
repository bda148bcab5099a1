/**
 * Oracles for the parser differential tests: libxml2 (through python3-lxml,
 * many documents per python process) and @xmldom/xmldom behind the checks
 * the gateway used to run before it (limits pre-scan, illegal characters,
 * warnings as errors). `shapeOf` turns a DOM-like element (ours or
 * @xmldom's) into the JSON shape lxml's side prints, so trees compare with
 * `deepEqual`.
 */
import { spawnSync } from "node:child_process";
import { DOMParser } from "@xmldom/xmldom";
import { scanXmlLimits, type XmlLimits } from "../../src/xml/limits-scan.js";
import type { Element, Node } from "../../src/xml/tree.js";
import { findIllegalXmlCharacter } from "../../src/xml/xml-characters.js";

const SYSTEM_PYTHON = "/usr/bin/python3";
const XMLNS = "http://www.w3.org/2000/xmlns/";

/** An element as [ "e", namespace, localName, prefix, attributes [ns, local, value] sorted, children ]; text runs merged. */
export type Shape = ["e", string, string, string, [string, string, string][], (Shape | ["t", string] | ["c", string])[]];

export interface LxmlVerdict {
  readonly ok: boolean;
  readonly error?: string;
  readonly tree?: Shape;
  /** Exclusive c14n (no comments) of the first elements in document order; null where libxml2's c14n itself failed. */
  readonly c14n?: (string | null)[];
}

export const lxmlMissing: string | false =
  spawnSync(SYSTEM_PYTHON, ["-c", "import lxml"]).status === 0 ? false : "python3-lxml is not installed (Debian: python3-lxml)";

const LXML_SCRIPT = `
import sys, json
from lxml import etree
docs = json.load(sys.stdin)
def shape(e):
    attrs = sorted([[etree.QName(k).namespace or "", etree.QName(k).localname, v] for k, v in e.attrib.items()])
    children = []
    def text(t):
        if not t: return
        if children and children[-1][0] == "t": children[-1][1] += t
        else: children.append(["t", t])
    text(e.text)
    for c in e:
        if isinstance(c.tag, str): children.append(shape(c))
        elif c.tag is etree.Comment: children.append(["c", c.text or ""])
        else: children.append(["other", str(c)])
        text(c.tail)
    q = etree.QName(e)
    return ["e", q.namespace or "", q.localname, e.prefix or "", attrs, children]
out = []
for doc in docs:
    data = doc.encode("utf-8", "surrogatepass")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except Exception as error:
        out.append({"ok": False, "error": str(error)[:200]})
        continue
    c14n = []
    for el in list(root.iter(tag=etree.Element))[:${5}]:
        try: c14n.append(etree.tostring(el, method="c14n", exclusive=True, with_comments=False).decode("utf-8"))
        except Exception: c14n.append(None)
    out.append({"ok": True, "tree": shape(root), "c14n": c14n})
sys.stdout.write(json.dumps(out))
`;

/** libxml2's verdict, tree and exclusive c14n for each document (one python process for all). */
export function lxmlParseBatch(documents: readonly string[]): LxmlVerdict[] {
  const run = spawnSync(SYSTEM_PYTHON, ["-c", LXML_SCRIPT], { input: JSON.stringify(documents), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`lxml oracle failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as LxmlVerdict[];
}

/** The parse the gateway ran before its own parser: limits pre-scan, illegal characters, then @xmldom with warnings as errors. */
export function xmldomParse(text: string, limits: XmlLimits): { kind: "parsed"; root: Element } | { kind: "refused"; reason: string } {
  const scan = scanXmlLimits(text, limits);
  if (scan.kind === "refused") return scan;
  const illegal = findIllegalXmlCharacter(text);
  if (illegal !== undefined) return { kind: "refused", reason: illegal };
  let problem: string | undefined;
  try {
    const document = new DOMParser({
      onError: (level, message) => {
        if (level === "warning" && String(message).startsWith("Unicode replacement character")) return;
        problem ??= String(message).split("\n")[0]!;
        throw new Error(problem);
      },
    }).parseFromString(text, "text/xml");
    if (problem !== undefined || !document.documentElement) return { kind: "refused", reason: problem ?? "no root element" };
    return { kind: "parsed", root: document.documentElement as unknown as Element };
  } catch {
    return { kind: "refused", reason: problem ?? "parse error" };
  }
}

/** The shape of an element of any DOM-like tree (namespace declarations are not attributes here, as in lxml). */
export function shapeOf(element: Element): Shape {
  const attributes: [string, string, string][] = [];
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes[i]!;
    if (attribute.namespaceURI === XMLNS) continue;
    attributes.push([attribute.namespaceURI ?? "", attribute.localName ?? attribute.name, attribute.value]);
  }
  attributes.sort((a, b) => (a[0] + "\u0000" + a[1] < b[0] + "\u0000" + b[1] ? -1 : 1));
  const children: Shape[5] = [];
  for (let child: Node | null = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 1) children.push(shapeOf(child as Element));
    else if (child.nodeType === 3 || child.nodeType === 4) {
      const data = child.nodeValue ?? "";
      if (data === "") continue;
      const last = children[children.length - 1];
      if (last && last[0] === "t") last[1] += data;
      else children.push(["t", data]);
    } else if (child.nodeType === 8) children.push(["c", child.nodeValue ?? ""]);
    else children.push(["other", String(child.nodeType)] as unknown as ["t", string]);
  }
  return ["e", element.namespaceURI ?? "", element.localName ?? element.nodeName, element.prefix ?? "", attributes, children];
}

/** The first `count` elements of `root`'s subtree in document order. */
export function firstElements(root: Element, count: number): Element[] {
  const found: Element[] = [];
  const visit = (element: Element): void => {
    if (found.length >= count) return;
    found.push(element);
    for (let child: Node | null = element.firstChild; child; child = child.nextSibling) if (child.nodeType === 1) visit(child as Element);
  };
  visit(root);
  return found;
}
