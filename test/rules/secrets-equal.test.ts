/**
 * secretsEqual, the constant-time comparison of passwords, digest tokens and
 * UsernameToken secrets: equal exactly when the two secrets are the same
 * bytes (a string as its UTF-8), whatever their lengths — checked on
 * generated strings and buffers against a plain byte comparison.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { secretsEqual } from "../../src/auth/password.js";

const bytesOf = (secret: string | Buffer) => (typeof secret === "string" ? Buffer.from(secret, "utf8") : secret);
const secret = fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)));

test("secretsEqual ⇔ the same bytes (strings as UTF-8), any lengths; a one-character change or a prefix is unequal", () => {
  fc.assert(
    fc.property(secret, secret, (a, b) => {
      assert.equal(secretsEqual(a, b), bytesOf(a).equals(bytesOf(b)));
      assert.equal(secretsEqual(a, a), true);
      assert.equal(secretsEqual(a, bytesOf(a)), true, "a string equals its UTF-8 bytes");
    }),
    { numRuns: 2000 },
  );
  assert.equal(secretsEqual("bench-password", "bench-passworD"), false);
  assert.equal(secretsEqual("bench-password", "bench-passwor"), false);
  assert.equal(secretsEqual("café", Buffer.from("café", "utf8")), true);
});
