/**
 * `wss-gateway call`, without its command line: builds the request from the
 * remote WSDL with node-soap, secures it per the outbound policy
 * (src/outbound/policy-security.ts), sends it through the policy's transport
 * (src/outbound/transport.ts), and classifies what came back.
 */
import { createClientAsync, type Client } from "soap";
import type { Clock } from "../clock.js";
import type { OutboundPolicy } from "../config/types.js";
import { SignError } from "../wss/sign/index.js";
import { PolicySecurity, signOptionsFor } from "./policy-security.js";
import { readSoapFault, readWsdlPorts, type WsdlPort } from "./soap-documents.js";
import { InsecureTransportError, PolicyTransport, type Exchange } from "./transport.js";

export interface CallRequest {
  readonly policy: OutboundPolicy;
  readonly wsdlUrl: string;
  readonly table: string;
  readonly operation: string;
  /** The operation's children, as node-soap takes them. */
  readonly args: Readonly<Record<string, unknown>>;
  /** Overrides the WSDL's address. */
  readonly endpoint: string | undefined;
  readonly soapVersion: "1.1" | "1.2";
  /** --insecure: plain http:// even though the policy holds a key or a password. */
  readonly insecure: boolean;
  readonly clock: Clock;
  readonly onExchange?: (exchange: Exchange) => void;
}

export type CallOutcome =
  | { readonly kind: "response"; readonly status: number; readonly endpoint: string; readonly result: unknown }
  | { readonly kind: "fault"; readonly status: number; readonly endpoint: string; readonly code: string; readonly string: string }
  /** An answer that is neither a response nor a SOAP fault (401, 404, an HTML page…). */
  | { readonly kind: "http-error"; readonly status: number; readonly url: string; readonly body: string }
  | { readonly kind: "transport-error"; readonly message: string }
  /** Nothing (more) was sent: a usage or configuration problem, such as plain http with secrets. */
  | { readonly kind: "refused"; readonly message: string };

/** Whether the policy holds a private key or a password (then plain http:// needs --insecure). */
export function holdsSecrets(policy: OutboundPolicy): boolean {
  return policy.profiles.length > 0 || policy.basicAuth !== undefined || policy.tlsClient !== undefined;
}

export async function callService(request: CallRequest): Promise<CallOutcome> {
  const { policy } = request;
  const allowPlainHttp = request.insecure || !holdsSecrets(policy);
  for (const url of [request.wsdlUrl, request.endpoint]) {
    if (url !== undefined && /^http:/i.test(url) && !allowPlainHttp) return { kind: "refused", message: new InsecureTransportError(url).message };
  }
  const transport = new PolicyTransport({ policy, allowPlainHttp, ...(request.onExchange ? { onExchange: request.onExchange } : {}) });

  let client: Client;
  try {
    client = await createClientAsync(request.wsdlUrl, {
      httpClient: transport as never,
      disableCache: true,
      forceSoap12Headers: request.soapVersion === "1.2",
      ...(request.endpoint !== undefined ? { endpoint: request.endpoint } : {}),
    });
  } catch (error) {
    return failure(error, transport.exchanges.at(-1), "the WSDL");
  }

  const wsdl = readWsdlPorts(client.wsdl.toXML());
  const tableOfWsdl = /^http:\/\/www\.service-now\.com\/(.+)$/.exec(wsdl.targetNamespace)?.[1];
  if (tableOfWsdl !== undefined && tableOfWsdl !== request.table) {
    return { kind: "refused", message: `the WSDL at ${request.wsdlUrl} describes table ${tableOfWsdl}, not ${request.table}` };
  }
  const port = wsdl.ports.find((p) => p.soapVersion === request.soapVersion);
  if (!port) return { kind: "refused", message: `the WSDL has no SOAP ${request.soapVersion} port` };
  const method = methodOf(client, port, request.operation);
  if (!method) {
    const available = Object.keys(portMethods(client, port) ?? {}).join(", ");
    return { kind: "refused", message: `the WSDL has no operation ${request.operation} (it has: ${available || "none"})` };
  }
  const endpoint = request.endpoint ?? port.location;
  if (/^http:/i.test(endpoint) && !allowPlainHttp) return { kind: "refused", message: new InsecureTransportError(endpoint).message };

  const signOptions = signOptionsFor(policy, request.clock);
  if (signOptions) client.setSecurity(new PolicySecurity(signOptions));
  const sentBefore = transport.exchanges.length;
  let result: unknown;
  let error: unknown;
  try {
    result = await new Promise((resolve, reject) => method(request.args, (err: unknown, value: unknown) => (err ? reject(err) : resolve(value))));
  } catch (caught) {
    error = caught;
  }
  const answer = transport.exchanges.length > sentBefore ? transport.exchanges.at(-1) : undefined;
  if (answer === undefined) return failure(error, undefined, "the request");
  const fault = readSoapFault(answer.responseBody);
  if (fault) return { kind: "fault", status: answer.status, endpoint, code: fault.code, string: fault.string };
  if (error !== undefined || answer.status >= 300) return { kind: "http-error", status: answer.status, url: answer.url, body: answer.responseBody };
  return { kind: "response", status: answer.status, endpoint, result: result ?? {} };
}

type SoapMethod = (args: unknown, callback: (err: unknown, result: unknown) => void) => void;

function portMethods(client: Client, port: WsdlPort): Record<string, SoapMethod> | undefined {
  const services = client as unknown as Record<string, Record<string, Record<string, SoapMethod>> | undefined>;
  return services[port.service]?.[port.port];
}

function methodOf(client: Client, port: WsdlPort, operation: string): SoapMethod | undefined {
  const methods = portMethods(client, port);
  return methods && Object.hasOwn(methods, operation) && typeof methods[operation] === "function" ? methods[operation] : undefined;
}

function failure(error: unknown, last: Exchange | undefined, what: string): CallOutcome {
  if (error instanceof InsecureTransportError || error instanceof SignError) return { kind: "refused", message: error.message };
  if (last !== undefined && last.status !== 200) return { kind: "http-error", status: last.status, url: last.url, body: last.responseBody };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "transport-error", message: `${what}: ${message.split("\n")[0]}` };
}
