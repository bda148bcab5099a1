/**
 * SPEC §5 step 2 with a scrypt-hashed password: the credential cache
 * (src/auth/credential-cache.ts) only spares scrypt for a pair that verified
 * moments ago. It never admits another password, forgets a pair when the
 * stored hash changes or the TTL passes, and stays bounded. Over real HTTP:
 * a wrong password right after a cached right one is still 401.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { CredentialCache } from "../../src/auth/credential-cache.js";
import { ManualClock } from "../../src/clock.js";
import { DEFAULT_USERS_YAML } from "../helpers/config-dir.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, type TestGateway } from "../helpers/gateway.js";

// scrypt hash of "carol-password" (test/helpers/wss-config.ts)
const CAROL_HASH = "$scrypt$ln=10,r=8,p=1$KuPLoGNHm5Yqjitxl35ZYw==$LGwqVgx5Ge8rFqJlLOiBnPWyHoYm4TLol77QlMBBLaQ=";

describe("credential cache: what it remembers cannot admit anything else", () => {
  test("a remembered (user, password, hash) is found; another password, user or hash is not", () => {
    const cache = new CredentialCache(new ManualClock("2026-01-01T00:00:00Z"));
    cache.remember("carol", "carol-password", CAROL_HASH);
    assert.equal(cache.has("carol", "carol-password", CAROL_HASH), true);
    assert.equal(cache.has("carol", "carol-passwordX", CAROL_HASH), false);
    assert.equal(cache.has("carol", "", CAROL_HASH), false);
    assert.equal(cache.has("carol2", "carol-password", CAROL_HASH), false);
    assert.equal(cache.has("carol", "carol-password", `${CAROL_HASH}x`), false, "a changed hash in users.yaml no longer matches");
  });

  test("moving characters between user name and password does not reach a remembered entry", () => {
    const cache = new CredentialCache(new ManualClock("2026-01-01T00:00:00Z"));
    cache.remember("a", "b\0c", CAROL_HASH);
    assert.equal(cache.has("a\0b", "c", CAROL_HASH), false);
    assert.equal(cache.has("a", "b", `c\0${CAROL_HASH}`), false);
  });

  test("an entry expires after ttlSeconds", () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const cache = new CredentialCache(clock, { ttlSeconds: 60, maxEntries: 10 });
    cache.remember("carol", "carol-password", CAROL_HASH);
    clock.advanceSeconds(59);
    assert.equal(cache.has("carol", "carol-password", CAROL_HASH), true);
    clock.advanceSeconds(1);
    assert.equal(cache.has("carol", "carol-password", CAROL_HASH), false);
  });

  test("it holds at most maxEntries: the oldest goes first", () => {
    const cache = new CredentialCache(new ManualClock("2026-01-01T00:00:00Z"), { ttlSeconds: 60, maxEntries: 3 });
    for (const user of ["u1", "u2", "u3", "u4"]) cache.remember(user, "pw", CAROL_HASH);
    assert.equal(cache.has("u1", "pw", CAROL_HASH), false);
    for (const user of ["u2", "u3", "u4"]) assert.equal(cache.has(user, "pw", CAROL_HASH), true);
  });
});

describe("Basic auth against a scrypt hash, through HTTP", () => {
  const gateways: TestGateway[] = [];
  after(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  test("a wrong password right after a cached right one is refused 401, and writes nothing", async () => {
    const users = `${DEFAULT_USERS_YAML}  - user_name: carol\n    password: "${CAROL_HASH}"\n    roles: [soap]\n`;
    const gateway = await startTestGateway({ files: { users } });
    gateways.push(gateway);
    const insert = soapEnvelope("incident", "insert", "<number>INC-CACHE-1</number>");
    for (let attempt = 0; attempt < 2; attempt++) {
      const admitted = await postSoap(gateway, "incident", insert, { authorization: basicAuth("carol", "carol-password") });
      assert.equal(admitted.status, 200, admitted.body);
    }
    const refused = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>INC-CACHE-2</number>"), {
      authorization: basicAuth("carol", "carol-passwordX"),
    });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Basic realm="wss-gateway"/);
    assert.deepEqual(
      gateway.rows("incident").map((row) => row.number),
      ["INC-CACHE-1", "INC-CACHE-1"],
    );
    const audits = gateway.logLines().filter((line) => line.msg === "request");
    assert.equal(audits.length, 3, "one audit line per request");
    assert.equal((audits.at(-1)!.audit as { status: number; reason: string }).status, 401);
    assert.doesNotMatch(gateway.rawLog(), /carol-password/);
  });
});
