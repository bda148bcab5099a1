/**
 * The HTTP(S) client `wss-gateway call` gives node-soap (its `httpClient`
 * option), for the WSDL fetch and the request alike: the outbound policy's
 * mutual-TLS client certificate and CAs, its Basic credentials, no
 * redirects (a redirect could carry them elsewhere, or to plain http), and
 * plain http:// refused unless allowed. It records each exchange (the exact
 * bytes sent, the status received) for the caller.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { OutboundPolicy } from "../config/types.js";

export interface Exchange {
  readonly method: "GET" | "POST";
  readonly url: string;
  /** The request body exactly as sent (empty for GET). */
  readonly requestBody: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly status: number;
  readonly responseHeaders: IncomingHttpHeaders;
  readonly responseBody: string;
}

/** Plain http:// refused: the policy holds a key or a password and --insecure was not given. */
export class InsecureTransportError extends Error {
  constructor(readonly url: string) {
    super(`refusing to send over plain http (${url}): the policy holds a private key or a password; use https, or --insecure`);
    this.name = "InsecureTransportError";
  }
}

export interface TransportOptions {
  readonly policy: OutboundPolicy;
  readonly allowPlainHttp: boolean;
  /** Every exchange, in order (the WSDL fetch, its imports, the request). */
  readonly onExchange?: (exchange: Exchange) => void;
}

type SoapCallback = (error: unknown, response?: { status: number; headers: IncomingHttpHeaders; data: string }, body?: string) => void;

/** node-soap's IHttpClient: `request(url, data, callback, headers)`; data null means a GET (the WSDL). */
export class PolicyTransport {
  readonly exchanges: Exchange[] = [];
  constructor(private readonly options: TransportOptions) {}

  request(url: string, data: unknown, callback: SoapCallback, extraHeaders?: Record<string, unknown>): Promise<void> {
    const body = data === null || data === undefined ? undefined : String(data);
    const done = this.send(url, body, extraHeaders ?? {}).then(
      (exchange) => callback(null, { status: exchange.status, headers: exchange.responseHeaders, data: exchange.responseBody }, exchange.responseBody),
      (error: unknown) => callback(error),
    );
    return done;
  }

  async send(url: string, body: string | undefined, extraHeaders: Record<string, unknown>): Promise<Exchange> {
    const target = new URL(url);
    if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error(`unsupported URL scheme ${target.protocol} (${url})`);
    if (target.protocol === "http:" && !this.options.allowPlainHttp) throw new InsecureTransportError(url);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extraHeaders)) if (value !== undefined && value !== null) headers[name] = String(value);
    const { basicAuth, tlsClient, tlsCaCertificates } = this.options.policy;
    if (basicAuth) headers.Authorization = `Basic ${Buffer.from(`${basicAuth.user}:${basicAuth.password}`, "utf8").toString("base64")}`;
    const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
    if (payload) headers["Content-Length"] = String(payload.length);
    const method = payload ? "POST" : "GET";
    const tls =
      target.protocol === "https:"
        ? {
            ...(tlsClient ? { cert: tlsClient.certificate.x509.toString(), key: tlsClient.key.export({ format: "pem", type: "pkcs8" }) } : {}),
            ...(tlsCaCertificates.length > 0 ? { ca: tlsCaCertificates.map((c) => c.x509.toString()) } : {}),
          }
        : {};
    const response = await exchange(target, method, headers, payload, tls);
    const recorded: Exchange = { method, url, requestBody: body ?? "", requestHeaders: headers, ...response };
    this.exchanges.push(recorded);
    this.options.onExchange?.(recorded);
    return recorded;
  }
}

/** An answer larger than this is abandoned (a WSDL or a SOAP response, not a download). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

function exchange(
  target: URL,
  method: "GET" | "POST",
  headers: OutgoingHttpHeaders,
  payload: Buffer | undefined,
  tls: Record<string, unknown>,
): Promise<{ status: number; responseHeaders: IncomingHttpHeaders; responseBody: string }> {
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method, headers, agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) req.destroy(new Error(`the answer from ${target.origin} is over ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, responseHeaders: res.headers, responseBody: Buffer.concat(chunks).toString("utf8") }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${target.origin} within 30 s`)));
    req.on("error", reject);
    req.end(payload);
  });
}
