/**
 * The end-to-end bench (bench/e2e.ts) counts only HTTP 200 answers, and its
 * figures mean something only if the envelopes it sends are what they claim:
 * signed requests the gateway admits, each one first-use. This proves it
 * through a real gateway (127.0.0.1, real SQLite file, memory replay cache)
 * on the bench's own configuration: both envelope shapes, their fast
 * re-stamped copies (bench/restamp.ts), the rows written, and that a copy
 * sent twice is refused as a replay (so the copies are not accepted merely
 * because nothing is checked).
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { BENCH_RUN_AS, BENCH_USER, makeKeys, makeShapedEnvelope, writeConfigDir, type BenchKeys } from "../../bench/fixtures.js";
import { restamper } from "../../bench/restamp.js";
import { basicAuth, postSoap, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";

const AUTHORIZATION = basicAuth(BENCH_USER.name, BENCH_USER.password);

describe("bench fixtures: the end-to-end bench sends admitted, first-use signed requests", () => {
  let keys: BenchKeys;
  let gateway: TestGateway;

  before(async () => {
    keys = makeKeys();
    gateway = await startTestGateway({ configDir: writeConfigDir(keys) });
  });
  after(async () => {
    await gateway?.close();
    rmSync(gateway.configDir, { recursive: true, force: true });
    rmSync(keys.dir, { recursive: true, force: true });
  });

  test("element-heavy insertMultiple: the template and two re-stamped copies are admitted, one row per record each", async () => {
    const envelope = makeShapedEnvelope(keys, "element", "6k", 6 * 1024);
    const records = (envelope.xml.match(/<record>/g) ?? []).length;
    assert.ok(records > 1);
    const copy = restamper(keys, envelope);
    const bodies = [envelope.xml, copy(), copy()];
    assert.equal(new Set(bodies).size, 3);
    for (const body of bodies) {
      assert.equal(Buffer.byteLength(body), envelope.bytes.length);
      const response = await postSoap(gateway, "incident", body, { authorization: AUTHORIZATION });
      assert.equal(response.status, 200, response.body);
      assert.equal(response.body.match(/<insertResponse>/g)?.length, records);
    }
    const rows = gateway.rows("incident").filter((row) => String(row.number).startsWith("INC"));
    assert.equal(rows.length, 3 * records);
    assert.ok(rows.every((row) => row.sys_created_by === BENCH_RUN_AS));
  });

  test("text-heavy insert: a re-stamped copy is admitted and its long description stored whole", async () => {
    const envelope = makeShapedEnvelope(keys, "text", "100k", 100 * 1024);
    assert.ok(Math.abs(envelope.bytes.length - 100 * 1024) < 64, `${envelope.bytes.length} bytes`);
    const response = await postSoap(gateway, "incident", restamper(keys, envelope)(), { authorization: AUTHORIZATION });
    assert.equal(response.status, 200, response.body);
    assert.ok(textOf(response.body, "sys_id"));
    const [row, ...others] = gateway.rows("incident").filter((candidate) => candidate.number === "TXT0000001");
    assert.equal(others.length, 0);
    const sent = /<description>([^<]*)<\/description>/.exec(envelope.xml)![1]!;
    const decoded = sent.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
    assert.equal(row!.description, decoded);
    assert.ok(decoded.length > 80_000, `${decoded.length} characters`);
  });

  test("replay: a re-stamped copy sent a second time is refused and writes nothing", async () => {
    const envelope = makeShapedEnvelope(keys, "element", "6k", 6 * 1024);
    const body = restamper(keys, envelope)();
    assert.equal((await postSoap(gateway, "incident", body, { authorization: AUTHORIZATION })).status, 200);
    const before = gateway.rows("incident").length;
    const replayed = await postSoap(gateway, "incident", body, { authorization: AUTHORIZATION });
    assert.equal(replayed.status, 500);
    assert.equal(textOf(replayed.body, "faultstring"), "WS-Security message replayed");
    assert.equal(gateway.rows("incident").length, before);
  });
});
