/**
 * Stage: HTTP intake for the SOAP endpoint — the content type decides the
 * SOAP version (415 otherwise), and the body is read with the size limit
 * enforced while it streams in (413 as soon as it is exceeded).
 */
import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import type { SoapVersion } from "../soap/envelope.js";
import type { GatewayResponse } from "../http/state.js";

export type ContentTypeResult = { readonly kind: "soap"; readonly version: SoapVersion } | { readonly kind: "unsupported"; readonly reason: string };

export function soapVersionOfContentType(header: string | undefined): ContentTypeResult {
  if (!header) return { kind: "unsupported", reason: "no Content-Type" };
  const [mediaType, ...params] = header.split(";").map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/^"|"$/g, "");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    return { kind: "unsupported", reason: `unsupported charset ${charset.slice(0, 20)}` };
  }
  if (mediaType === "text/xml") return { kind: "soap", version: "1.1" };
  if (mediaType === "application/soap+xml") return { kind: "soap", version: "1.2" };
  return { kind: "unsupported", reason: `unsupported Content-Type ${String(mediaType).slice(0, 40)}` };
}

export type ReadBodyResult =
  | { readonly kind: "body"; readonly version: SoapVersion; readonly body: Buffer }
  | { readonly kind: "stop"; readonly response: GatewayResponse };

/**
 * How long a body may take to arrive once the gateway starts reading it. Past
 * it the pipeline itself answers 408 (Connection: close), so the audit line
 * and the metrics record the 408 the client gets; Node's own request timeout
 * (src/http/server.ts) is only a backstop above it.
 */
export const BODY_READ_TIMEOUT_MS = 30_000;

export async function readSoapBody(request: IncomingMessage, maxBodyBytes: number, timeoutMs = BODY_READ_TIMEOUT_MS): Promise<ReadBodyResult> {
  const contentType = soapVersionOfContentType(request.headers["content-type"]);
  if (contentType.kind === "unsupported") {
    return { kind: "stop", response: { kind: "http-error", status: 415, message: contentType.reason } };
  }
  const declaredLength = request.headers["content-length"];
  let timer: NodeJS.Timeout | undefined;
  try {
    const reading = getRawBody(request, {
      limit: maxBodyBytes,
      length: declaredLength === undefined ? undefined : Number(declaredLength),
    });
    const timedOut = new Promise<"timed-out">((resolve) => {
      timer = setTimeout(() => resolve("timed-out"), timeoutMs);
    });
    const body = await Promise.race([reading, timedOut]);
    if (body === "timed-out") {
      reading.catch(() => undefined); // it fails when the connection closes after the 408
      const message = `request body not received within ${timeoutMs / 1000} s`;
      return { kind: "stop", response: { kind: "http-error", status: 408, message, headers: { Connection: "close" } } };
    }
    return { kind: "body", version: contentType.version, body };
  } catch (error) {
    if (isTooLarge(error)) {
      return { kind: "stop", response: { kind: "http-error", status: 413, message: `body over ${maxBodyBytes} bytes` } };
    }
    return { kind: "stop", response: { kind: "http-error", status: 400, message: "request body could not be read" } };
  } finally {
    clearTimeout(timer);
  }
}

function isTooLarge(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { type?: unknown }).type === "entity.too.large";
}
