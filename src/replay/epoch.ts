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
 * The marker holds the clock of whoever set it, so it is not trusted
 * blindly (each case logged once per marker value at error level, and
 * counted):
 * - ahead: a marker beyond this instance's now + `clock_skew_seconds` (set by
 *   an instance whose clock runs ahead) would make every instance refuse
 *   every fresh message as expired until their clocks reach it;
 * - behind: a marker that changed to a time more than the skew before this
 *   instance last read the previous marker (set, after a flush, by an
 *   instance whose clock runs behind) would let messages accepted before the
 *   flush, and forgotten by it, be accepted again.
 * Either way this instance uses its own now at that first read as the epoch,
 * for as long as the marker keeps that value (so it does not jump forward
 * when the clock comes near a marker ahead). That keeps the replay
 * guarantee: the cache forgot before the marker was set, and this instance
 * read it later still, so its now is after the moment the cache forgot —
 * provided this instance's own clock is right, which the replay window needs
 * anyway (an instance whose clock is behind by more than the skew accepts
 * messages whose entries have expired). The marker itself is never
 * overwritten: one instance with a wrong clock would then move every
 * instance's epoch; the correction stays local.
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
   * caller answers 503). `clockSkewSeconds`: how far a marker may be off
   * this instance's clock before it is distrusted (see above).
   */
  current(clockSkewSeconds: number): Promise<Date>;
  close(): Promise<void>;
}

/** A marker value distrusted (once per value): the epoch used instead is this instance's `now`. */
export interface DistrustedMarker {
  readonly kind: "ahead" | "behind";
  readonly marker: Date;
  readonly now: Date;
  /** For "behind": when this instance read the previous marker. */
  readonly previousReadAt?: Date;
}

export interface ReplayEpochOptions {
  /** Called at the first read of each distrusted marker value (to log and count it). */
  readonly onDistrustedMarker?: (event: DistrustedMarker) => void;
}

export async function openReplayEpoch(url: string, clock: Clock, options: ReplayEpochOptions = {}): Promise<ReplayEpoch> {
  if (url === "memory") {
    const started = clock.now();
    return { current: async () => started, close: async () => {} };
  }
  return RedisReplayEpoch.connect(url, clock, options);
}

class RedisReplayEpoch implements ReplayEpoch {
  /** The marker value last distrusted, and the epoch used for it instead. */
  private distrusted: { readonly markerMs: number; readonly epochMs: number } | undefined;
  /** The marker this instance read last, and when. */
  private lastRead: { readonly markerMs: number; readonly atMs: number } | undefined;

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
    const previous = this.lastRead;
    const markerMs = await this.readOrSetMarker(nowMs);
    if (this.distrusted?.markerMs === markerMs) return new Date(this.distrusted.epochMs);
    const skewMs = clockSkewSeconds * 1000;
    const kind =
      markerMs > nowMs + skewMs ? "ahead" : previous !== undefined && markerMs !== previous.markerMs && markerMs < previous.atMs - skewMs ? "behind" : undefined;
    if (kind === undefined) return new Date(markerMs);
    this.distrusted = { markerMs, epochMs: nowMs };
    this.options.onDistrustedMarker?.({
      kind,
      marker: new Date(markerMs),
      now: new Date(nowMs),
      ...(kind === "behind" ? { previousReadAt: new Date(previous!.atMs) } : {}),
    });
    return new Date(nowMs);
  }

  private async readOrSetMarker(nowMs: number): Promise<number> {
    const markerMs = Number(await this.redis.eval(EPOCH_SCRIPT, 1, EPOCH_KEY, String(nowMs)));
    if (!Number.isFinite(markerMs)) throw new Error(`${EPOCH_KEY} holds no time`);
    this.lastRead = { markerMs, atMs: nowMs };
    return markerMs;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
