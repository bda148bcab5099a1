/**
 * The fault catalogue: every refusal the gateway can answer with a SOAP
 * fault. Fault strings are those of SPEC §5 "Faults", verbatim; a fault
 * carries a FaultId, never free text (except the client faults that name
 * the bad field or value, whose detail is safe to show by construction).
 */
export type FaultCode =
  | "wsse:InvalidSecurity"
  | "wsse:FailedCheck"
  | "wsse:InvalidSecurityToken"
  | "wsse:UnsupportedSecurityToken"
  | "wsse:FailedAuthentication"
  | "wsu:MessageExpired"
  /** SOAP's own MustUnderstand code, in the envelope's namespace (1.1 faultcode, 1.2 Code/Value). */
  | "MustUnderstand"
  | "Client"
  | "Server";

export interface FaultDefinition {
  readonly string: string;
  readonly code: FaultCode;
  readonly http: number;
}

export const FAULTS = {
  outboundPolicy: {
    string: "Invalid Security Policy Selected. Select a Inbound policy for Inbound Requests",
    code: "wsse:InvalidSecurity",
    http: 500,
  },
  notSigned: {
    string: "SOAP request not Signed. Policy requires signing",
    code: "wsse:InvalidSecurity",
    http: 500,
  },
  noProfiles: { string: "No profiles to authenticate", code: "wsse:InvalidSecurity", http: 500 },
  signatureInvalid: { string: "Unable to verify signed request", code: "wsse:FailedCheck", http: 500 },
  tokenMissing: {
    string: "Failed to extract principal(s) from request",
    code: "wsse:InvalidSecurityToken",
    http: 500,
  },
  tokenUnsupported: {
    string: "Failed to authenticate WS-Security, unknown type",
    code: "wsse:UnsupportedSecurityToken",
    http: 500,
  },
  authenticationFailed: {
    string: "Failed to authenticate WS-Security",
    code: "wsse:FailedAuthentication",
    http: 500,
  },
  expired: { string: "WS-Security message expired", code: "wsu:MessageExpired", http: 500 },
  replayed: { string: "WS-Security message replayed", code: "wsse:FailedAuthentication", http: 500 },
  /** A header block for us with mustUnderstand that we do not process; `{qname}` as the client wrote it. */
  mustUnderstand: { string: "Header not understood: {qname}", code: "MustUnderstand", http: 500 },
  malformed: { string: "Malformed SOAP request", code: "Client", http: 400 },
  /** `Insufficient rights to perform {operation} on {table}`: the string is completed by `faultString()`. */
  insufficientRights: { string: "Insufficient rights to perform {operation} on {table}", code: "Client", http: 500 },
  /** A bad operation, field, value or query: the detail names the problem. */
  badRequest: { string: "{detail}", code: "Client", http: 500 },
  internal: { string: "Internal error", code: "Server", http: 500 },
  /** A dependency (store, replay cache) is down or the request is over the admission limits: 503 with Retry-After. */
  unavailable: { string: "Service temporarily unavailable", code: "Server", http: 503 },
} as const satisfies Record<string, FaultDefinition>;

export type FaultId = keyof typeof FAULTS;

/** What fills a catalogue string's placeholders; `header` is the block of a MustUnderstand fault. */
export interface FaultParams {
  readonly operation?: string;
  readonly table?: string;
  readonly detail?: string;
  readonly header?: { readonly qname: string; readonly prefix: string | undefined; readonly namespace: string | undefined };
}

/** A refusal on its way to the client. `params` fill the placeholders of the catalogue string. */
export class SoapFault extends Error {
  constructor(
    readonly id: FaultId,
    readonly params: FaultParams = {},
  ) {
    super(faultString(id, params));
    this.name = "SoapFault";
  }
  get definition(): FaultDefinition {
    return FAULTS[this.id];
  }
}

export function faultString(id: FaultId, params: FaultParams = {}): string {
  return FAULTS[id].string
    .replace("{operation}", () => params.operation ?? "")
    .replace("{table}", () => params.table ?? "")
    .replace("{detail}", () => params.detail ?? "")
    .replace("{qname}", () => params.header?.qname ?? "");
}

/** Shorthand for a client fault naming the problem. */
export function clientFault(detail: string): SoapFault {
  return new SoapFault("badRequest", { detail });
}
