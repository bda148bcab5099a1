/**
 * Graceful shutdown of an HTTP(S) server (SPEC §7): stop accepting
 * connections, finish and answer every request already being executed —
 * each answer with `Connection: close` — and never execute a request that
 * cannot be answered.
 *
 * Node's `server.close()` alone is not enough with keep-alive clients: an
 * answer already under way goes out with `Connection: keep-alive`, the client
 * reuses the connection, and its next request is read and executed while the
 * socket closes under it — committed, never answered. So:
 *
 * - Requests on one connection are executed one at a time, in order (HTTP/1.1
 *   answers them in order anyway): a pipelined request waits until the answer
 *   before it has been written.
 * - When the drain starts, idle connections are closed; a request being
 *   executed gets `Connection: close` (if its headers are not out yet), and
 *   its connection is closed once it has been answered.
 * - A request that arrives, or was waiting behind another, after the drain
 *   started is not executed: it gets 503 with `Connection: close` when the
 *   connection can still carry it, else the connection closes without it.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Server as TlsServer } from "node:tls";

export type DrainResult = { readonly kind: "drained" } | { readonly kind: "forced"; readonly connections: number };

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface ConnectionTracker {
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting, finishes requests being executed and resolves when
   * every connection is closed, or after `graceMs` with the rest destroyed.
   */
  drain(graceMs: number): Promise<DrainResult>;
}

/** Seconds a client refused during shutdown is told to wait (another instance may take it at once). */
const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

interface Connection {
  /** Requests received on this connection and not yet answered. */
  pending: number;
  /** The response being executed now, if any. */
  current: ServerResponse | undefined;
  /** Requests received while another was executing, in arrival order. */
  readonly waiting: Array<() => void>;
}

/** Serves `handler` on `server` with the shutdown rules above. */
export function serveWithLifecycle(server: Server, handler: RequestHandler): ConnectionTracker {
  const connections = new Map<Socket, Connection>();
  let draining = false;

  const onConnection = (socket: Socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    connections.set(socket, { pending: 0, current: undefined, waiting: [] });
    socket.once("close", () => connections.delete(socket));
  };
  // An HTTPS server's requests come on the TLS socket, established after the handshake.
  server.on(server instanceof TlsServer ? "secureConnection" : "connection", onConnection);

  const refuse = (response: ServerResponse) => {
    response.writeHead(503, { Connection: "close", "Retry-After": String(SHUTDOWN_RETRY_AFTER_SECONDS), "Content-Type": "text/plain; charset=utf-8" });
    response.end("shutting down: request not executed\n");
  };

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    let connection = connections.get(socket);
    if (!connection) {
      connection = { pending: 0, current: undefined, waiting: [] };
      connections.set(socket, connection);
    }
    const conn = connection;
    conn.pending += 1;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      conn.pending -= 1;
      if (conn.current === response) conn.current = undefined;
      const next = conn.waiting.shift();
      if (next) next();
      else if (draining && conn.pending === 0) socket.end();
    };
    response.once("finish", done);
    response.once("close", done);

    const execute = () => {
      if (draining) return refuse(response);
      conn.current = response;
      handler(request, response);
    };
    if (conn.current === undefined && conn.waiting.length === 0) execute();
    else conn.waiting.push(execute);
  });

  return {
    inFlight: () => [...connections.values()].reduce((sum, connection) => sum + connection.pending, 0),
    async drain(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, connection] of connections) {
        if (connection.pending === 0) socket.destroy();
        else if (connection.current && !connection.current.headersSent) connection.current.setHeader("Connection", "close");
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), graceMs);
      });
      const outcome = await Promise.race([closed.then(() => "closed" as const), deadline]);
      clearTimeout(timer);
      if (outcome === "closed") return { kind: "drained" };
      const left = connections.size;
      for (const socket of connections.keys()) socket.destroy();
      await closed;
      return { kind: "forced", connections: left };
    },
  };
}
