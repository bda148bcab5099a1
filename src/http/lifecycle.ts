/**
 * Graceful shutdown of an HTTP(S) server: stop accepting connections, let
 * every request already received finish and be answered, then close the
 * connections. Node's `server.close()` alone waits for keep-alive
 * connections that may never go idle, so each connection's requests in
 * flight are counted here: an idle connection is closed at once, a busy one
 * answers its request with `Connection: close` and is closed after it.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

export type DrainResult = { readonly kind: "drained" } | { readonly kind: "forced"; readonly connections: number };

export interface ConnectionTracker {
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting, finishes requests in flight and resolves when every
   * connection is closed, or after `graceMs` with the rest destroyed.
   */
  drain(graceMs: number): Promise<DrainResult>;
}

export function trackConnections(server: Server): ConnectionTracker {
  const activeRequests = new Map<Socket, number>();
  let draining = false;

  const onConnection = (socket: Socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    activeRequests.set(socket, 0);
    socket.once("close", () => activeRequests.delete(socket));
  };
  server.on("connection", onConnection);
  server.on("secureConnection", onConnection);

  server.on("request", (request, response) => {
    const socket = request.socket;
    activeRequests.set(socket, (activeRequests.get(socket) ?? 0) + 1);
    if (draining) response.setHeader("Connection", "close");
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      const left = (activeRequests.get(socket) ?? 1) - 1;
      if (activeRequests.has(socket)) activeRequests.set(socket, left);
      if (draining && left === 0) socket.end();
    };
    response.once("finish", done);
    response.once("close", done);
  });

  return {
    inFlight: () => [...activeRequests.values()].reduce((sum, count) => sum + count, 0),
    async drain(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, requests] of activeRequests) if (requests === 0) socket.destroy();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), graceMs);
      });
      const outcome = await Promise.race([closed.then(() => "closed" as const), deadline]);
      clearTimeout(timer);
      if (outcome === "closed") return { kind: "drained" };
      const connections = activeRequests.size;
      for (const socket of activeRequests.keys()) socket.destroy();
      await closed;
      return { kind: "forced", connections };
    },
  };
}
