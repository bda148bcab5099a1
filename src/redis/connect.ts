/**
 * One Redis connection for a gateway component (replay cache, throttle).
 * Commands never queue while the connection is down and time out quickly, so
 * an outage surfaces as rejected commands that each caller handles by its
 * own policy (the replay cache fails closed, the throttle fails open).
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
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}
