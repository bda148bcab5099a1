/**
 * Stage: HTTP intake for the SOAP endpoint — the content type decides the
 * SOAP version (415 otherwise), and the body is read with the size limit
 * enforced while it streams in (413 as soon as it is exceeded). A body
 * without Content-Length is counted against `limits.max_inflight_body_bytes`
 * chunk by chunk as it arrives (503 the moment it passes). A client that
 * closes the connection before its body has arrived is told apart from a bad
 * body: nothing can be answered, and the audit line says so.
 */
import type { IncomingMessage } from "node:http";
import type { SoapVersion } from "../soap/envelope.js";
import type { GatewayResponse } from "../http/state.js";

export type ContentTypeResult = { readonly kind: "soap"; readonly version: SoapVersion } | { readonly kind: "unsupported"; readonly reason: string };

/** The Content-Types SOAP clients send nearly always, answered without parsing (the same answers as the parse). */
const COMMON_CONTENT_TYPES: ReadonlyMap<string, ContentTypeResult> = new Map([
  ["text/xml; charset=utf-8", { kind: "soap", version: "1.1" }],
  ["text/xml;charset=utf-8", { kind: "soap", version: "1.1" }],
  ["text/xml; charset=UTF-8", { kind: "soap", version: "1.1" }],
  ["text/xml", { kind: "soap", version: "1.1" }],
  ["application/soap+xml; charset=utf-8", { kind: "soap", version: "1.2" }],
  ["application/soap+xml;charset=utf-8", { kind: "soap", version: "1.2" }],
  ["application/soap+xml; charset=UTF-8", { kind: "soap", version: "1.2" }],
  ["application/soap+xml", { kind: "soap", version: "1.2" }],
]);

export function soapVersionOfContentType(header: string | undefined): ContentTypeResult {
  if (!header) return { kind: "unsupported", reason: "no Content-Type" };
  const common = COMMON_CONTENT_TYPES.get(header);
  if (common !== undefined) return common;
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
  | { readonly kind: "stop"; readonly response: GatewayResponse }
  /** The chunked body took the bytes in flight past `limits.max_inflight_body_bytes` as it was read: 503, nothing read further. */
  | { readonly kind: "over-inflight-limit" }
  /**
   * The connection closed before the body had arrived: the client closed it
   * (nothing was sent), or Node's HTTP parser refused the body's framing and
   * answered `sentByNode` itself before closing it. Nothing more can be sent.
   */
  | { readonly kind: "connection-closed"; readonly reason: string; readonly sentByNode?: NodeAnswer };

/** What Node's HTTP server answers itself to a body it cannot parse (when nothing was written on the connection before). */
export type NodeAnswer = 400 | 413;

/**
 * How long a body may take to arrive once the gateway starts reading it. Past
 * it the pipeline itself answers 408 (Connection: close), so the audit line
 * and the metrics record the 408 the client gets; Node's own request timeout
 * (src/http/server.ts) is only a backstop above it.
 */
export const BODY_READ_TIMEOUT_MS = 30_000;

export interface ReadBodyOptions {
  readonly maxBodyBytes: number;
  readonly timeoutMs?: number;
  /**
   * Called with each chunk's size before it is kept, for a body without
   * Content-Length (src/pipeline/admission.ts); false stops the read: the
   * bytes in flight passed their limit.
   */
  readonly countChunk?: (bytes: number) => boolean;
}

export async function readSoapBody(request: IncomingMessage, options: ReadBodyOptions): Promise<ReadBodyResult> {
  const contentType = soapVersionOfContentType(request.headers["content-type"]);
  if (contentType.kind === "unsupported") {
    return { kind: "stop", response: { kind: "http-error", status: 415, message: contentType.reason } };
  }
  const timeoutMs = options.timeoutMs ?? BODY_READ_TIMEOUT_MS;
  const read = await readBytes(request, options.maxBodyBytes, timeoutMs, options.countChunk);
  switch (read.kind) {
    case "complete":
      return { kind: "body", version: contentType.version, body: read.body };
    case "too-large": {
      const message = `body over ${options.maxBodyBytes} bytes`;
      // Refused mid-stream: the rest of the body is not waited for, the connection closes after the answer.
      return { kind: "stop", response: { kind: "http-error", status: 413, message, ...(read.midStream ? { headers: { Connection: "close" } } : {}) } };
    }
    case "timed-out": {
      const message = `request body not received within ${timeoutMs / 1000} s`;
      return { kind: "stop", response: { kind: "http-error", status: 408, message, headers: { Connection: "close" } } };
    }
    case "length-mismatch":
      return { kind: "stop", response: { kind: "http-error", status: 400, message: "request body could not be read" } };
    case "over-inflight-limit":
      return { kind: "over-inflight-limit" };
    case "client-closed":
      return { kind: "connection-closed", reason: `client closed the connection after ${read.receivedBytes} bytes of its body` };
    case "malformed-http": {
      const answered = read.sentByNode === undefined ? "nothing sent" : `Node's HTTP parser answered ${read.sentByNode}`;
      return { kind: "connection-closed", reason: `malformed HTTP body (${read.code}): ${answered}, connection closed`, ...(read.sentByNode ? { sentByNode: read.sentByNode } : {}) };
    }
    default: {
      const unreachable: never = read;
      return unreachable;
    }
  }
}

type BytesRead =
  | { readonly kind: "complete"; readonly body: Buffer }
  | { readonly kind: "too-large"; readonly midStream: boolean }
  | { readonly kind: "timed-out" }
  | { readonly kind: "length-mismatch" }
  | { readonly kind: "over-inflight-limit" }
  | { readonly kind: "client-closed"; readonly receivedBytes: number }
  | { readonly kind: "malformed-http"; readonly code: string; readonly sentByNode: NodeAnswer | undefined };

/**
 * Reads the body as it streams in, each chunk counted before it is kept. On
 * any ending but "complete" the read stops keeping bytes; what still arrives
 * is discarded (never buffered) until the response has been written.
 */
function readBytes(request: IncomingMessage, maxBodyBytes: number, timeoutMs: number, countChunk: ((bytes: number) => boolean) | undefined): Promise<BytesRead> {
  const declared = request.headers["content-length"] === undefined ? undefined : Number(request.headers["content-length"]);
  if (declared !== undefined && declared > maxBodyBytes) return Promise.resolve({ kind: "too-large", midStream: false });
  const whole = bufferedWhole(request, declared);
  if (whole !== undefined) return Promise.resolve({ kind: "complete", body: whole });
  // Node answers a body it cannot parse only on a connection where nothing was written yet (src: http server's socketOnError).
  const nothingWrittenBefore = request.socket.bytesWritten === 0;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (result: BytesRead) => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("close", onClose);
      request.off("error", onClose);
      // Still flowing with no reader: the rest of the body is discarded, and the connection closes after the answer.
      if (result.kind !== "complete") request.on("error", () => undefined);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) return finish({ kind: "too-large", midStream: true });
      if (countChunk && !countChunk(chunk.length)) return finish({ kind: "over-inflight-limit" });
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (declared !== undefined && received !== declared) return finish({ kind: "length-mismatch" });
      finish({ kind: "complete", body: Buffer.concat(chunks, received) });
    };
    // 'close' (or 'error': the socket was reset) before 'end': the client went away mid-body, or
    // Node's HTTP parser refused the body (bad chunked framing) and closed the connection.
    const onClose = () => {
      const code = httpParseErrorCode(request);
      if (code === undefined) return finish({ kind: "client-closed", receivedBytes: received });
      finish({ kind: "malformed-http", code, sentByNode: nothingWrittenBefore ? (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW" ? 413 : 400) : undefined });
    };
    const timer = setTimeout(() => finish({ kind: "timed-out" }), timeoutMs);
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("close", onClose);
    request.on("error", onClose);
  });
}

/**
 * A body of a declared length that has already arrived whole — all its
 * Content-Length bytes wait in the stream's buffer (Node's parser pushes
 * no byte beyond them: a small request comes with its headers) — taken at
 * once, without listeners or a timer. Otherwise undefined, and it is read as
 * it streams in.
 */
function bufferedWhole(request: IncomingMessage, declared: number | undefined): Buffer | undefined {
  if (declared === undefined || request.readableFlowing === true || request.readableLength !== declared) return undefined;
  if (declared === 0) return Buffer.alloc(0);
  const body = request.read(declared) as Buffer | null;
  return body !== null && body.length === declared ? body : undefined;
}

/**
 * The HTTP parser error (`HPE_…`) the connection was destroyed with, if any.
 * `HPE_INVALID_EOF_STATE` is the client's end of the connection mid-body: the
 * client closed it, and Node's 400 (if any) went to a closed connection.
 */
function httpParseErrorCode(request: IncomingMessage): string | undefined {
  const errored = (request.socket as { errored?: unknown }).errored;
  const code = typeof errored === "object" && errored !== null ? (errored as { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("HPE_") && code !== "HPE_INVALID_EOF_STATE" ? code : undefined;
}
