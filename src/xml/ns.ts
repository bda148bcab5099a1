/** Every namespace URI the gateway uses. Nothing else in src/ spells one out. */
export const NS = {
  soap11: "http://schemas.xmlsoap.org/soap/envelope/",
  soap12: "http://www.w3.org/2003/05/soap-envelope",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
  wsse11: "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd",
  wsu: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xsd: "http://www.w3.org/2001/XMLSchema",
  xsi: "http://www.w3.org/2001/XMLSchema-instance",
  wsdl: "http://schemas.xmlsoap.org/wsdl/",
  wsdlSoap11: "http://schemas.xmlsoap.org/wsdl/soap/",
  wsdlSoap12: "http://schemas.xmlsoap.org/wsdl/soap12/",
  wsp: "http://www.w3.org/ns/ws-policy",
  sp: "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702",
  xmlns: "http://www.w3.org/2000/xmlns/",
  xml: "http://www.w3.org/XML/1998/namespace",
  /** ec:InclusiveNamespaces of exclusive c14n. */
  excC14n: "http://www.w3.org/2001/10/xml-exc-c14n#",
} as const;

/** The namespace of a published table's operations. */
export function tableNamespace(table: string): string {
  return `http://www.service-now.com/${table}`;
}

/** The WSDL 1.1 SOAP binding transport for HTTP (used by the SOAP 1.1 and 1.2 bindings alike). */
export const SOAP_HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http";

export const SOAP_ACTOR_NEXT = "http://schemas.xmlsoap.org/soap/actor/next";
export const SOAP12_ROLE_ULTIMATE_RECEIVER =
  "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver";
export const SOAP12_ROLE_NEXT = "http://www.w3.org/2003/05/soap-envelope/role/next";

/** Token value types and encodings of the WSS 1.0/1.1 profiles. */
export const WSS_TYPES = {
  x509v3:
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3",
  x509SubjectKeyIdentifier:
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier",
  thumbprintSha1:
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1",
  base64Binary:
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary",
  passwordText:
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText",
  passwordDigest:
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest",
} as const;

/** XML-DSig algorithm identifiers (canonicalization, transforms, digests, signatures). */
export const DSIG_ALGORITHMS = {
  c14n: {
    exclusive: "http://www.w3.org/2001/10/xml-exc-c14n#",
    exclusiveWithComments: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    inclusive: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    inclusiveWithComments: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    inclusive11: "http://www.w3.org/2006/12/xml-c14n11",
    inclusive11WithComments: "http://www.w3.org/2006/12/xml-c14n11#WithComments",
  },
  transform: {
    envelopedSignature: "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    xpath: "http://www.w3.org/TR/1999/REC-xpath-19991116",
    xslt: "http://www.w3.org/TR/1999/REC-xslt-19991116",
  },
  digest: {
    sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
    sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
    sha384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
    sha512: "http://www.w3.org/2001/04/xmlenc#sha512",
  },
  signature: {
    rsaSha1: "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    rsaSha384: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    rsaSha512: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    ecdsaSha1: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
    ecdsaSha256: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    ecdsaSha384: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    ecdsaSha512: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    hmacSha1: "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
  },
} as const;
