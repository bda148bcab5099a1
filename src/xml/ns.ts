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
} as const;

/** The namespace of a published table's operations. */
export function tableNamespace(table: string): string {
  return `http://www.service-now.com/${table}`;
}

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
