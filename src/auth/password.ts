/**
 * Password hashes in the `$scrypt$` format printed by `wss-gateway hash-password`:
 *   $scrypt$ln=15,r=8,p=1$<salt base64>$<key base64>
 * (`ln` is log2 of scrypt's N). Verification runs scrypt, which is slow by
 * design; src/auth/credential-cache.ts keeps recently verified credentials.
 */
import { hash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(scryptCallback) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export const SCRYPT_PREFIX = "$scrypt$";
export const DEFAULT_SCRYPT_LOG2_N = 15;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export function isScryptHash(value: string): boolean {
  return value.startsWith(SCRYPT_PREFIX);
}

/** Parses a `$scrypt$` hash; returns undefined when it is not well formed. */
export function parseScryptHash(hash: string): ScryptParams | undefined {
  const match = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(hash);
  if (!match) return undefined;
  const [, ln, r, p, salt, key] = match;
  const params = {
    log2N: Number(ln),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt!, "base64"),
    key: Buffer.from(key!, "base64"),
  };
  if (params.log2N < 10 || params.log2N > 20 || params.r < 1 || params.p < 1) return undefined;
  if (params.salt.length < 8 || params.key.length < 16) return undefined;
  return params;
}

export async function hashPassword(password: string, log2N = DEFAULT_SCRYPT_LOG2_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, scryptOptions(log2N, 8, 1));
  return `${SCRYPT_PREFIX}ln=${log2N},r=8,p=1$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** Constant-time verification of a password against a `$scrypt$` hash. A malformed hash never verifies. */
export async function verifyScryptHash(password: string, hash: string): Promise<boolean> {
  const params = parseScryptHash(hash);
  if (!params) return false;
  const key = await scrypt(password, params.salt, params.key.length, scryptOptions(params.log2N, params.r, params.p));
  return timingSafeEqual(key, params.key);
}

/** Constant-time equality of two secrets of any length (both are hashed first, so lengths do not leak). */
export function secretsEqual(a: string | Buffer, b: string | Buffer): boolean {
  // One-shot digests (a string as UTF-8, as Hash.update): no Hash object per side (~2 us less per check).
  return timingSafeEqual(hash("sha256", a, "buffer"), hash("sha256", b, "buffer"));
}

function scryptOptions(log2N: number, r: number, p: number) {
  const N = 2 ** log2N;
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}
