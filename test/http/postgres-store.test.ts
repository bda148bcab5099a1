/**
 * The gateway on its PostgreSQL store (`--store postgres://…`), over real
 * HTTP against a real server started by .ci/run: operations land in
 * PostgreSQL, each request is one transaction, refusals write nothing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { pino } from "pino";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, postSoap, soapEnvelope, textOf } from "../helpers/gateway.js";
import { serverUrl } from "../helpers/servers.js";

const server = serverUrl("WSS_TEST_POSTGRES_URL");
const databaseName = `wss_gateway_http_${process.pid}`;
const ALICE = basicAuth("alice", "alice-password");

describe("gateway on PostgreSQL", { skip: "skip" in server ? server.skip : false }, () => {
  let admin: pg.Client;
  let db: pg.Client;
  let gateway: RunningGateway;

  const call = (operation: string, children: string, authorization = ALICE) =>
    postSoap(gateway, "incident", soapEnvelope("incident", operation, children), { authorization });
  const count = async () => Number((await db.query("SELECT count(*) AS n FROM incident")).rows[0].n);

  before(async () => {
    if (!("url" in server)) return;
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
    const url = new URL(server.url);
    url.pathname = `/${databaseName}`;
    gateway = await startGateway({
      configDir: makeConfigDir({}),
      host: "127.0.0.1",
      port: 0,
      store: url.toString(),
      logger: pino({ level: "silent" }),
    });
    db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
  });

  after(async () => {
    if (!("url" in server)) return;
    await db?.end();
    await gateway?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.end();
  });

  test("/readyz reaches the PostgreSQL store", async () => {
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200);
  });

  test("insertMultiple writes every record to PostgreSQL, created by the basic user", async () => {
    const response = await call("insertMultiple", "<record><number>P1</number><priority>1</priority></record><record><number>P2</number><priority>2</priority></record>");
    assert.equal(response.status, 200, response.body);
    const rows = (await db.query("SELECT number, priority, sys_created_by FROM incident ORDER BY number")).rows;
    assert.deepEqual(rows.map((row) => [row.number, Number(row.priority), row.sys_created_by]), [
      ["P1", 1, "alice"],
      ["P2", 2, "alice"],
    ]);
  });

  test("getRecords with an encoded query and update run against PostgreSQL", async () => {
    const found = await call("getRecords", "<__encoded_query>priority&gt;=2^numberSTARTSWITHP</__encoded_query>");
    assert.equal(found.status, 200, found.body);
    assert.equal(textOf(found.body, "number"), "P2");
    const sysId = textOf(found.body, "sys_id")!;
    const updated = await call("update", `<sys_id>${sysId}</sys_id><short_description>moved to PostgreSQL</short_description>`);
    assert.equal(updated.status, 200, updated.body);
    const row = (await db.query("SELECT short_description FROM incident WHERE sys_id = $1", [sysId])).rows[0];
    assert.equal(row.short_description, "moved to PostgreSQL");
  });

  test("insertMultiple with one bad record writes nothing (one transaction)", async () => {
    const before = await count();
    const response = await call("insertMultiple", "<record><number>P3</number></record><record><priority>high</priority></record>");
    assert.equal(response.status, 500);
    assert.equal(await count(), before);
  });

  test("a request refused at Basic auth writes nothing", async () => {
    const before = await count();
    const response = await call("insert", "<number>P4</number>", basicAuth("alice", "wrong"));
    assert.equal(response.status, 401);
    assert.equal(await count(), before);
  });

  test("deleteMultiple deletes in PostgreSQL and answers the count", async () => {
    const response = await call("deleteMultiple", "<__encoded_query>numberSTARTSWITHP</__encoded_query>");
    assert.equal(response.status, 200, response.body);
    assert.equal(textOf(response.body, "count"), "2");
    assert.equal(await count(), 0);
  });
});
