/** The client-side WS-Security signer: see sign-envelope.ts. */
export { signEnvelope, type SignOptions, type SignedPartName } from "./sign-envelope.js";
export { SignError } from "./sign-error.js";
export { KEY_REFERENCE_STYLES, isKeyReferenceStyle, type KeyReferenceStyle } from "./key-info.js";
export { DIGEST_NAMES, isDigestName, type DigestName, type CanonicalizationName } from "./algorithms.js";
export { passwordDigest, type PasswordType } from "./username-token.js";
export { computeSignatureValue, canonicalize, digestOf } from "./xml-signature.js";
export { readSignerCertificate, type SignerCertificate } from "./signer-certificate.js";
