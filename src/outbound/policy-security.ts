/**
 * An outbound policy as a node-soap security object: node-soap builds the
 * envelope, then hands the exact XML to `postProcess`, where our signer
 * (src/wss/sign) adds the Timestamp, the UsernameToken and the Signature over
 * Body and Timestamp, with the profile's key-reference style and algorithm.
 * What is signed is therefore exactly what is sent.
 */
import type { Clock } from "../clock.js";
import type { OutboundKeyReference, OutboundPolicy, OutboundSignatureAlgorithm } from "../config/types.js";
import { signEnvelope, type DigestName, type KeyReferenceStyle, type SignOptions } from "../wss/sign/index.js";

const KEY_REFERENCE_STYLE: Readonly<Record<OutboundKeyReference, KeyReferenceStyle>> = {
  bst: "bst",
  issuer_serial: "issuer-serial",
  ski: "ski",
  thumbprint: "thumbprint",
  x509_data: "x509data",
};

function signatureHashOf(algorithm: OutboundSignatureAlgorithm): DigestName {
  return algorithm.slice(algorithm.indexOf("-") + 1) as DigestName;
}

/** The signer's options for a policy (at most one x509 and one username profile: src/config/directions.ts). */
export function signOptionsFor(policy: OutboundPolicy, clock: Clock): SignOptions | undefined {
  const x509 = policy.profiles.find((p) => p.kind === "x509");
  const username = policy.profiles.find((p) => p.kind === "username");
  if (!x509 && !username && policy.timestampSeconds === undefined) return undefined;
  return {
    clock,
    ...(policy.timestampSeconds !== undefined ? { timestampSeconds: policy.timestampSeconds } : {}),
    ...(x509
      ? {
          key: x509.privateKey,
          cert: x509.certificate.der,
          keyReference: KEY_REFERENCE_STYLE[x509.keyReference],
          signatureHash: signatureHashOf(x509.signatureAlgorithm),
        }
      : {}),
    ...(username ? { username: username.username, password: username.password, passwordType: username.digest ? "digest" : "text" } : {}),
  };
}

/** node-soap's ISecurity: no header XML of its own, everything in postProcess. */
export class PolicySecurity {
  constructor(private readonly options: SignOptions) {}

  toXML(): string {
    return "";
  }

  postProcess(xml: string): string {
    return signEnvelope(xml, this.options);
  }
}
