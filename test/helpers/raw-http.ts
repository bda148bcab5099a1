/**
 * A raw HTTP/1.1 keep-alive client over one TCP socket: requests are written
 * as bytes (so they can be pipelined or sent in parts) and responses parsed
 * in order as they arrive. It sees exactly what a client sees: each
 * response's status and headers, and when the server closes the connection.
 *
 *   const connection = await RawConnection.open(url);
 *   connection.send(postRequest("/incident.do?SOAP", body, headers));
 *   const response = await connection.nextResponse(); // undefined: closed without an answer
 */
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function postRequest(path: string, body: string | Buffer, headers: Record<string, string>): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [`POST ${path} HTTP/1.1`, "Host: 127.0.0.1", `Content-Length: ${bytes.length}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), bytes]);
}

export class RawConnection {
  private buffer = Buffer.alloc(0);
  private readonly parsed: RawResponse[] = [];
  private readonly waiters: Array<(response: RawResponse | undefined) => void> = [];
  private ended = false;
  /** Why the connection ended: "end" (the server closed it) or an error code such as ECONNRESET. */
  endReason: string | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => this.finish(error.code ?? error.message));
    socket.on("close", () => this.finish("end"));
  }

  static open(url: string): Promise<RawConnection> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.hostname, port: Number(target.port) }, () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Writes bytes; false when the connection is already closed. */
  send(bytes: Buffer): boolean {
    if (this.ended || this.socket.destroyed) return false;
    this.socket.write(bytes);
    return true;
  }

  /** The next response in order, or undefined when the connection ended first. */
  nextResponse(): Promise<RawResponse | undefined> {
    const ready = this.parsed.shift();
    if (ready) return Promise.resolve(ready);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get closed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endReason = reason;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private parse(): void {
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd === -1) return;
      const [statusLine, ...headerLines] = this.buffer.subarray(0, headerEnd).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] ?? 0);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      const response = { status: Number(statusLine!.split(" ")[1]), headers, body };
      const waiter = this.waiters.shift();
      if (waiter) waiter(response);
      else this.parsed.push(response);
    }
  }
}

export interface OneShotResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * One request on a connection of its own (`Connection: close`): nothing is
 * reused, so a test that blocked its event loop (a server started with
 * execFileSync) never sends on a connection the server has meanwhile closed.
 */
export function requestOnNewConnection(
  url: string,
  path: string,
  options: { readonly method?: string; readonly body?: string | Buffer; readonly headers?: Record<string, string>; readonly timeoutMs?: number } = {},
): Promise<OneShotResponse> {
  const target = new URL(path, url);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        agent: false,
        timeout: timeoutMs,
        headers: { ...options.headers, Connection: "close" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}
