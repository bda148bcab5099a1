/**
 * Replay reservations (issue 9 item 7, issue 10 item 3; SPEC §5 Replay,
 * §7): a signed message's entry is reserved atomically and kept only when
 * the request was executed. A refusal that is not about the message's
 * authenticity (wrong table URL, a store failure answered 503) releases it,
 * so the same message sent right afterwards is accepted; a concurrent
 * duplicate is still refused. On the memory cache and on a real Redis.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { expectAdmitted, expectFault, FAULTS_OVER_HTTP, incidentInsert, makeAttackPki, send, startAttackGateway, type AttackPki } from "../helpers/attack-gateway.js";
import { textOf, type TestGateway } from "../helpers/gateway.js";
import { serverUrl } from "../helpers/servers.js";

const redis = serverUrl("WSS_TEST_REDIS_URL");
const caches: { name: string; url: string | undefined; skip: string | undefined }[] = [
  { name: "memory", url: "memory", skip: undefined },
  { name: "Redis", url: "url" in redis ? redis.url : undefined, skip: "skip" in redis ? redis.skip : undefined },
];

for (const cache of caches) {
  describe(`replay reservations (${cache.name} cache)`, { skip: cache.skip }, () => {
    let pki: AttackPki;
    let gateway: TestGateway;
    before(async () => {
      pki = makeAttackPki();
      gateway = await startAttackGateway(pki, { profiles: ["rsa"], replayCache: cache.url });
    });
    after(async () => gateway?.close());

    const sign = (xml: string): string => signEnvelope(xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 300 });

    test("signed message posted to the wrong table URL (refused) then to the right one → accepted; then a replay → refused", async () => {
      const { xml, number } = incidentInsert();
      const signed = sign(xml);
      const wrong = await send(gateway, signed, "problem");
      assert.equal(wrong.status, 500, wrong.body);
      assert.notEqual(textOf(wrong.body, "faultstring"), FAULTS_OVER_HTTP.replayed.faultstring);
      await expectAdmitted(gateway, signed, number);
      await expectFault(gateway, signed, FAULTS_OVER_HTTP.replayed);
    });

    test("the same signed message sent 6 times at once → exactly one accepted, the others WS-Security message replayed", async () => {
      const { xml, number } = incidentInsert();
      const signed = sign(xml);
      const responses = await Promise.all(Array.from({ length: 6 }, () => send(gateway, signed)));
      assert.equal(responses.filter((response) => response.status === 200).length, 1);
      for (const response of responses.filter((candidate) => candidate.status !== 200)) {
        assert.equal(textOf(response.body, "faultstring"), FAULTS_OVER_HTTP.replayed.faultstring);
        assert.equal(textOf(response.body, "faultcode"), FAULTS_OVER_HTTP.replayed.faultcode);
      }
      assert.equal(gateway.rows("incident").filter((row) => row.number === number).length, 1);
    });

    test("store failure (SQLite locked by another process) → 503 Service temporarily unavailable, nothing written; the retry of the same message → accepted", async () => {
      const { xml, number } = incidentInsert();
      const signed = sign(xml);
      const locker = new Database(gateway.dbPath);
      try {
        locker.exec("BEGIN EXCLUSIVE");
        const response = await send(gateway, signed);
        assert.equal(response.status, 503, response.body);
        assert.equal(textOf(response.body, "faultstring"), FAULTS_OVER_HTTP.unavailable.faultstring);
        assert.ok(response.headers.get("retry-after"));
        locker.exec("ROLLBACK");
      } finally {
        locker.close();
      }
      assert.equal(gateway.rows("incident").filter((row) => row.number === number).length, 0);
      await expectAdmitted(gateway, signed, number);
    });
  });
}
