/**
 * New sys_ids (SPEC §2: 32 lowercase hex characters): the first 12 are the
 * creation time in milliseconds since 1970 (48 bits), the other 20 are random
 * (80 bits from the CSPRNG, one draw per record).
 *
 * Why time first: sys_id is the table's primary key, so every insert also
 * lands in its B-tree index. Wholly random keys scatter a batch's records
 * over every leaf page of that index, and each commit must then write every
 * page it touched: with SQLite in WAL mode a 4,318-record insertMultiple's
 * COMMIT grew from 6 ms to 56 ms as the table grew from 0 to 170,000 rows
 * (docs/performance.md, "After the decision"). Keys that start with the time
 * are appended at the index's right edge, so a commit writes about as many
 * pages as it adds, whatever the table's size. The random part keeps ids
 * unguessable and unique across records, workers and instances (two ids of
 * the same millisecond collide with probability 2^-80). The time it reveals
 * is the record's `sys_created_on`, which the response already carries.
 */
import { randomBytes, randomFillSync } from "node:crypto";

const TIME_HEX_DIGITS = 12;
const RANDOM_BYTES = 10;
/** 2^48 ms: the year 10889. */
const MAX_TIME_MS = 2 ** 48 - 1;

/**
 * Random bytes drawn ahead, each handed out once (as Node's randomUUID
 * does): a `randomBytes` call has a fixed cost (12 ids: 6–10 µs per call,
 * pooled 0.7–1.7 µs, measured here). Batches larger than the pool draw
 * their own.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolUsed = POOL_BYTES;

function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString("hex");
  if (poolUsed + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const hex = pool.toString("hex", poolUsed, poolUsed + bytes);
  poolUsed += bytes;
  return hex;
}

/** `count` new sys_ids created at `createdAtMs` (clamped into 48 bits). */
export function newSysIds(count: number, createdAtMs: number): string[] {
  const time = Math.min(Math.max(Math.floor(createdAtMs), 0), MAX_TIME_MS).toString(16).padStart(TIME_HEX_DIGITS, "0");
  const random = randomHex(RANDOM_BYTES * count);
  const width = 2 * RANDOM_BYTES;
  const ids: string[] = new Array(count);
  for (let index = 0; index < count; index++) ids[index] = time + random.slice(width * index, width * index + width);
  return ids;
}
