/**
 * Equal cost for every credential failure (user enumeration by timing): a
 * refusal that did not already run a full-cost KDF runs one scrypt of the
 * presented password against a fixed dummy hash of the default cost
 * (`hash-password`'s), so an unknown user, an inactive one, a wrong literal
 * password and a wrong hashed one all cost about one scrypt. Successful
 * requests never run it: a literal password that matches and a hash found
 * in the credential cache stay fast.
 *
 * `failureCost.spendDummyKdf` is a property of an object so that tests can
 * spy on it (node:test `mock.method`) and prove which refusals take it.
 */
import { randomBytes } from "node:crypto";
import { DEFAULT_SCRYPT_LOG2_N, SCRYPT_PREFIX, verifyScryptHash } from "./password.js";

/** A well-formed hash that no password matches: its key is random, not derived from any password. */
export const DUMMY_HASH = `${SCRYPT_PREFIX}ln=${DEFAULT_SCRYPT_LOG2_N},r=8,p=1$${randomBytes(16).toString("base64")}$${randomBytes(32).toString("base64")}`;

export const failureCost = {
  /** Runs one scrypt of `password` against the dummy hash; the result is ignored. */
  async spendDummyKdf(password: string | Buffer): Promise<void> {
    await verifyScryptHash(typeof password === "string" ? password : password.toString("base64"), DUMMY_HASH);
  },
};
