/**
 * The WS-SecurityPolicy 1.2 that the configured SOAP Security Policy implies
 * (SPEC §3 `?WSDL`, §5 "WS-Security decision"). Requirements are first
 * derived as a small value (`impliedSecurityPolicy`), then rendered from the
 * static assertion templates in the top-level `wsdl/security-policy/`.
 */
import { readFileSync } from "node:fs";
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import type { SecurityPolicy, WssProfile } from "../config/types.js";
import { NS } from "../xml/ns.js";
import { comment, el, raw, type XmlNode } from "./xml-tree.js";

/** One way of satisfying the policy: what a request must carry. */
export interface PolicyAlternative {
  /** An X.509 signature over the Body (and the Timestamp). */
  readonly signature: boolean;
  /** With `signature`: the signature covers a wsu:Timestamp in the Security header (policy `require_timestamp`). */
  readonly timestamp: boolean;
  readonly usernameToken: boolean;
}

export type ImpliedPolicy =
  /** `ws_security.required: false`: no WS-Security is asked for. */
  | { readonly kind: "not-required" }
  /** Every WS-Security request is refused; rendered as a policy with no alternative. */
  | { readonly kind: "unsatisfiable"; readonly reason: "outbound-policy" | "no-active-profiles" }
  /** A request must satisfy one of the alternatives (`at_least_one`), or the single one (`all`). */
  | { readonly kind: "alternatives"; readonly alternatives: readonly PolicyAlternative[] };

export interface PolicyInput {
  /** The `default_policy`, or undefined when no policies are configured at all. */
  readonly policy: SecurityPolicy | undefined;
  readonly profiles: readonly WssProfile[];
  readonly wsSecurityRequired: boolean;
}

export function impliedSecurityPolicy(input: PolicyInput): ImpliedPolicy {
  if (!input.wsSecurityRequired) return { kind: "not-required" };
  // SPEC §5: with no policies at all, every active profile runs under require_signed + all.
  const policy: Omit<SecurityPolicy, "name"> = input.policy ?? {
    type: "inbound",
    requireSigned: true,
    authenticate: "all",
    profiles: input.profiles.map((profile) => profile.name),
    requireTimestamp: true,
  };
  if (policy.type === "outbound") return { kind: "unsatisfiable", reason: "outbound-policy" };
  const activeKinds = new Set(
    input.profiles
      .filter((profile) => profile.active && policy.profiles.includes(profile.name))
      .map((profile) => profile.kind),
  );
  if (activeKinds.size === 0) return { kind: "unsatisfiable", reason: "no-active-profiles" };

  const hasX509 = activeKinds.has("x509");
  const hasUsername = activeKinds.has("username");
  const timestamp = policy.requireTimestamp;
  switch (policy.authenticate) {
    case "all":
      return {
        kind: "alternatives",
        alternatives: [{ signature: policy.requireSigned || hasX509, timestamp, usernameToken: hasUsername }],
      };
    case "at_least_one": {
      const alternatives: PolicyAlternative[] = [];
      if (hasX509) alternatives.push({ signature: true, timestamp, usernameToken: false });
      if (hasUsername) alternatives.push({ signature: policy.requireSigned, timestamp, usernameToken: true });
      return { kind: "alternatives", alternatives };
    }
    default: {
      const unreachable: never = policy.authenticate;
      throw new Error(`unknown authenticate mode ${String(unreachable)}`);
    }
  }
}

/** The prefixes the policy uses, declared by the document that embeds it. */
export const POLICY_NAMESPACE_DECLARATIONS = {
  "xmlns:wsp": NS.wsp,
  "xmlns:sp": NS.sp,
  "xmlns:wsu": NS.wsu,
} as const;

/** The wsu:Id of the policy that every binding operation's input references. */
export const INPUT_POLICY_ID = "ServiceNowSoapInputPolicy";

/** The `wsp:Policy` element, or undefined when WS-Security is not required. */
export function securityPolicyNode(implied: ImpliedPolicy): XmlNode | undefined {
  switch (implied.kind) {
    case "not-required":
      return undefined;
    case "unsatisfiable":
      return policyElement([
        comment(
          implied.reason === "outbound-policy"
            ? "The default security policy is an outbound policy: inbound requests are refused."
            : "The default security policy has no active profile: requests are refused.",
        ),
        el("wsp:ExactlyOne"),
      ]);
    case "alternatives":
      return policyElement([el("wsp:ExactlyOne", {}, implied.alternatives.map(alternativeNode))]);
    default: {
      const unreachable: never = implied;
      throw new Error(`unknown implied policy ${String(unreachable)}`);
    }
  }
}

function policyElement(children: readonly XmlNode[]): XmlNode {
  return el("wsp:Policy", { "wsu:Id": INPUT_POLICY_ID }, children);
}

/**
 * Every WS-SecurityPolicy algorithm suite names an RSA-SHA1 asymmetric
 * signature, which the gateway refuses unless `allow_sha1`; no standard suite
 * names RSA-SHA256. Basic256Sha256 is published for its SHA-256 digests, with
 * this note for the signature (docs/wsdl.md, "Policy-driven clients").
 */
const SIGNATURE_ALGORITHM_NOTE =
  "Basic256Sha256: SHA-256 digests. Sign with RSA or ECDSA over SHA-256/384/512 " +
  "(RSA-SHA1, which the suite implies, is refused unless the gateway allows SHA-1). " +
  "Apache CXF: ws-security.asymmetric.signature.algorithm = http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

function alternativeNode(alternative: PolicyAlternative): XmlNode {
  const assertions: XmlNode[] = [];
  if (alternative.signature) {
    const binding = alternative.timestamp ? TEMPLATES.asymmetricBinding : TEMPLATES.asymmetricBindingWithoutTimestamp;
    assertions.push(comment(SIGNATURE_ALGORITHM_NOTE), binding, TEMPLATES.wss11, TEMPLATES.signedParts);
  }
  if (alternative.usernameToken) assertions.push(TEMPLATES.usernameSupportingToken);
  return el("wsp:All", {}, assertions);
}

const TEMPLATE_DIR = new URL("../../wsdl/security-policy/", import.meta.url);

/**
 * Loads an assertion template once; a template that is not a WS-SecurityPolicy
 * element fails the module load. `without` names an empty assertion to leave
 * out (it must be in the template exactly once).
 */
function loadTemplate(fileName: string, without?: string): XmlNode {
  const text = readFileSync(new URL(fileName, TEMPLATE_DIR), "utf8");
  const document = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`${fileName}: ${String(message)}`);
    },
  }).parseFromString(text, "text/xml");
  const root = document.documentElement;
  if (!root || root.namespaceURI !== NS.sp) {
    throw new Error(`${fileName}: root element is not in the WS-SecurityPolicy namespace`);
  }
  // Re-serialising the root drops the XML declaration and the explanatory comment;
  // the sp and wsp prefixes are declared once, on wsdl:definitions.
  const declarations = [` xmlns:sp="${NS.sp}"`, ` xmlns:wsp="${NS.wsp}"`];
  let xml = new XMLSerializer().serializeToString(root);
  for (const declaration of declarations) xml = xml.replace(declaration, "");
  if (/ xmlns[:=]/.test(xml)) throw new Error(`${fileName}: declares namespaces other than sp and wsp`);
  if (without !== undefined) {
    const parts = xml.split(`<${without}/>`);
    if (parts.length !== 2) throw new Error(`${fileName}: expected one <${without}/>`);
    xml = parts.join("");
  }
  return raw(xml);
}

const TEMPLATES = {
  asymmetricBinding: loadTemplate("x509-asymmetric-binding.xml"),
  /** The same binding without IncludeTimestamp, for a policy with `require_timestamp: false`. */
  asymmetricBindingWithoutTimestamp: loadTemplate("x509-asymmetric-binding.xml", "sp:IncludeTimestamp"),
  wss11: loadTemplate("wss11.xml"),
  signedParts: loadTemplate("signed-parts.xml"),
  usernameSupportingToken: loadTemplate("username-supporting-token.xml"),
} as const;
