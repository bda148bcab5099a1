/**
 * One Redis connection for a gateway component (replay cache, throttle).
 * Commands never queue while the connection is down and time out quickly, so
 * an outage surfaces as rejected commands, which the gateway answers with
 * 503 (src/dependency.ts). A Redis that is unreachable at start does not stop
 * the gateway (SPEC §1): the client keeps reconnecting in the background
 * (ioredis' back-off, at most every 2 s) and commands fail until it is back.
 */
import { Redis } from "ioredis";

export async function connectRedis(url: string, options: { readonly commandTimeoutMs: number }): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: options.commandTimeoutMs,
  });
  redis.on("error", () => {
    // Connection errors surface as rejected commands; the listener keeps them from being unhandled.
  });
  await redis.connect().catch(() => {
    // Unreachable now: ioredis reconnects by itself; /readyz reports it meanwhile.
  });
  return redis;
}
