/**
 * When the replay cache's memory began (SPEC §7): a cache that forgot —
 * a gateway restart with `memory`, a Redis restarted without persistence,
 * a FLUSHALL, an evicted marker — must not accept again a message it may
 * already have accepted. So the cache records its epoch, and a message whose
 * Created is before it is refused as expired (src/wss/rules/replay-epoch.ts).
 *
 * - memory: the moment the cache was created (process start).
 * - Redis: the marker key `wss-gateway:replay:epoch` holds the time the first
 *   gateway found it missing (at its start, a /readyz probe or a request);
 *   read on every check, and set (atomically, only if still missing) by
 *   whoever finds it gone, so after a flush every instance moves to the same
 *   new epoch. A message created before that moment is refused as expired:
 *   the client sends a fresh one. A Redis that keeps its data
 *   (persistence) keeps the marker, and the epoch stays.
 *
 * A marker set by an instance whose clock runs ahead would make every
 * instance refuse every fresh message as expired until their clocks reach
 * it. So a marker beyond this instance's now + `clock_skew_seconds` is not
 * trusted: the epoch is clamped to this instance's now when it first read
 * that marker value (fixed for as long as the marker keeps that value, so it
 * does not jump forward again when the clock comes near the marker), logged
 * at error level and counted. That keeps the replay guarantee: the marker
 * was set after the cache forgot, and this instance read it later still, so
 * the clamped epoch is still after the moment the cache forgot — provided
 * this instance's own clock is right, which the replay window needs anyway
 * (an instance whose clock is behind by more than the skew accepts messages
 * whose entries have expired). The marker itself is not overwritten: an
 * instance with a clock behind would otherwise move every instance's epoch
 * back and re-open the window the epoch closes; clamping stays local.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../clock.js";
import { connectRedis } from "../redis/connect.js";

export const EPOCH_KEY = "wss-gateway:replay:epoch";

/** GET the marker, or set it to ARGV[1] if it is missing; returns the marker (ms since 1970). */
const EPOCH_SCRIPT = `local v = redis.call("GET", KEYS[1]) if v then return v end redis.call("SET", KEYS[1], ARGV[1]) return ARGV[1]`;

export interface ReplayEpoch {
  /**
   * When the cache's memory began; rejects when the cache cannot answer (the
   * caller answers 503). `clockSkewSeconds`: how far ahead of this
   * instance's clock a marker may be before it is clamped (see above).
   */
  current(clockSkewSeconds: number): Promise<Date>;
  close(): Promise<void>;
}

/** A marker read beyond now + skew and clamped; `firstRead` is true once per marker value. */
export interface MarkerAhead {
  readonly marker: Date;
  readonly now: Date;
  readonly clampedTo: Date;
  readonly firstRead: boolean;
}

export interface ReplayEpochOptions {
  /** Called for each read of a marker ahead of now + skew (to log and count it). */
  readonly onMarkerAhead?: (event: MarkerAhead) => void;
}

export async function openReplayEpoch(url: string, clock: Clock, options: ReplayEpochOptions = {}): Promise<ReplayEpoch> {
  if (url === "memory") {
    const started = clock.now();
    return { current: async () => started, close: async () => {} };
  }
  return RedisReplayEpoch.connect(url, clock, options);
}

class RedisReplayEpoch implements ReplayEpoch {
  /** The marker value last found ahead, and the epoch used for it instead. */
  private clamp: { readonly markerMs: number; readonly clampedToMs: number } | undefined;

  private constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly options: ReplayEpochOptions,
  ) {}

  static async connect(url: string, clock: Clock, options: ReplayEpochOptions): Promise<RedisReplayEpoch> {
    const epoch = new RedisReplayEpoch(await connectRedis(url, { commandTimeoutMs: 2000 }), clock, options);
    // The marker is set at start when it is missing, so a fresh Redis does not refuse the first requests as created before it.
    await epoch.readOrSetMarker(clock.now().getTime()).catch(() => undefined);
    return epoch;
  }

  async current(clockSkewSeconds: number): Promise<Date> {
    const nowMs = this.clock.now().getTime();
    const markerMs = await this.readOrSetMarker(nowMs);
    if (this.clamp?.markerMs === markerMs) {
      this.reportAhead(markerMs, nowMs, clockSkewSeconds, false);
      return new Date(this.clamp.clampedToMs);
    }
    if (markerMs <= nowMs + clockSkewSeconds * 1000) return new Date(markerMs);
    this.clamp = { markerMs, clampedToMs: nowMs };
    this.reportAhead(markerMs, nowMs, clockSkewSeconds, true);
    return new Date(nowMs);
  }

  private async readOrSetMarker(nowMs: number): Promise<number> {
    const markerMs = Number(await this.redis.eval(EPOCH_SCRIPT, 1, EPOCH_KEY, String(nowMs)));
    if (!Number.isFinite(markerMs)) throw new Error(`${EPOCH_KEY} holds no time`);
    return markerMs;
  }

  private reportAhead(markerMs: number, nowMs: number, clockSkewSeconds: number, firstRead: boolean): void {
    // Once this instance's clock has come within the skew of the marker, it is no longer ahead (the clamp stays).
    if (!firstRead && markerMs <= nowMs + clockSkewSeconds * 1000) return;
    this.options.onMarkerAhead?.({ marker: new Date(markerMs), now: new Date(nowMs), clampedTo: new Date(this.clamp!.clampedToMs), firstRead });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
