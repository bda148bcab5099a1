/**
 * Real SOAP clients against a live gateway: node-soap and Python zeep fetch
 * the WSDL over HTTP with Basic auth, build their proxies from it and run the
 * table operations; their parsed answers prove the WSDL's schema matches what
 * the gateway sends. WS-Security is off here (ws_security.required false) so
 * that the clients' own WS-Security is not under test.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import soap from "soap";
import { basicAuth, startTestGateway, type TestGateway } from "../helpers/gateway.js";

const ZEEP_CLIENT = new URL("./zeep_client.py", import.meta.url).pathname;
const DEBIAN_PYTHON = "/usr/bin/python3";
const execFileAsync = promisify(execFile);
const SYS_ID = /^[0-9a-f]{32}$/;
const DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

type SoapCallback = (error: unknown, result: any, rawResponse: string) => void;
type PortMethod = (args: object, callback: SoapCallback) => void;

/** Calls an operation on one named port (node-soap only promisifies the last port's methods). */
function callPort(client: soap.Client, port: string, operation: string, args: object): Promise<{ result: any; raw: string }> {
  const method = client.ServiceNow[port][operation] as PortMethod;
  return new Promise((resolve, reject) =>
    method(args, (error, result, raw) => (error ? reject(error) : resolve({ result, raw }))),
  );
}

function requestContentType(client: soap.Client): string {
  const headers = (client.lastRequestHeaders ?? {}) as Record<string, unknown>;
  return String(headers["Content-Type"] ?? "");
}

describe("node-soap and zeep use the served WSDL against a live gateway", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway();
  });
  after(async () => {
    await gateway.close();
  });

  it("node-soap without credentials cannot fetch the WSDL (401)", async () => {
    await assert.rejects(soap.createClientAsync(`${gateway.url}/incident.do?WSDL`), /401/);
  });

  it("node-soap fetches the WSDL with Basic auth; insert then get round-trips the values over SOAP 1.1", async () => {
    const client = await soap.createClientAsync(`${gateway.url}/incident.do?WSDL`, {
      wsdl_headers: { Authorization: basicAuth("alice", "alice-password") },
    });
    client.setSecurity(new soap.BasicAuthSecurity("alice", "alice-password"));

    const inserted = await callPort(client, "ServiceNowSoap", "insert", {
      number: "INC1001",
      short_description: "Printer on fire",
      priority: 1,
      active: true,
      opened_at: "2024-05-01 10:00:00",
    });
    assert.match(requestContentType(client), /^text\/xml/);
    assert.match(inserted.result.sys_id, SYS_ID);
    assert.equal(inserted.result.number, "INC1001");
    assert.equal(inserted.result.sys_created_by, "alice");

    const fetched = await callPort(client, "ServiceNowSoap", "get", { sys_id: inserted.result.sys_id });
    assert.equal(fetched.result.sys_id, inserted.result.sys_id);
    assert.equal(fetched.result.number, "INC1001");
    assert.equal(fetched.result.short_description, "Printer on fire");
    assert.equal(fetched.result.priority, 1);
    assert.equal(fetched.result.active, true);
    assert.equal(fetched.result.opened_at, "2024-05-01 10:00:00");
    assert.match(fetched.result.sys_created_on, DATETIME);
    assert.equal(fetched.result.sys_updated_by, "alice");

    const rows = gateway.rows("incident").filter((row) => row.sys_id === inserted.result.sys_id);
    assert.equal(rows.length, 1);
  });

  it("node-soap with forceSoap12Headers round-trips insert → getKeys → deleteRecord over SOAP 1.2", async () => {
    const client = await soap.createClientAsync(`${gateway.url}/incident.do?WSDL`, {
      wsdl_headers: { Authorization: basicAuth("alice", "alice-password") },
      forceSoap12Headers: true,
    });
    client.setSecurity(new soap.BasicAuthSecurity("alice", "alice-password"));
    const inserted = await callPort(client, "ServiceNowSoap12", "insert", { number: "INC1201", priority: 4 });
    assert.match(requestContentType(client), /^application\/soap\+xml/);
    assert.match(inserted.raw, /http:\/\/www\.w3\.org\/2003\/05\/soap-envelope/);
    const keys = await callPort(client, "ServiceNowSoap12", "getKeys", { number: "INC1201" });
    assert.equal(keys.result.sys_id, inserted.result.sys_id);
    assert.equal(keys.result.count, 1);
    const deleted = await callPort(client, "ServiceNowSoap12", "deleteRecord", { sys_id: inserted.result.sys_id });
    assert.equal(deleted.result.count, 1);
  });

  for (const port of ["ServiceNowSoap", "ServiceNowSoap12"] as const) {
    it(`zeep (${port}) fetches the WSDL with Basic auth and runs all nine operations; answers parse against the WSDL`, async () => {
      const { stdout } = await execFileAsync(
        DEBIAN_PYTHON,
        [ZEEP_CLIENT, "roundtrip", `${gateway.url}/incident.do?WSDL`, "alice", "alice-password", port],
        { timeout: 60_000 },
      );
      const { binding, steps } = JSON.parse(stdout);
      assert.equal(binding, port === "ServiceNowSoap" ? "Soap11Binding" : "Soap12Binding");

      const sysId: string = steps.insert.sys_id;
      assert.match(sysId, SYS_ID);
      assert.equal(steps.insert.number, "INC0001");
      assert.equal(steps.insert.opened_at, "2024-05-01 10:00:00");

      assert.equal(steps.get.sys_id, sysId);
      assert.equal(steps.get.short_description, "Printer on fire");
      assert.equal(steps.get.priority, 1);
      assert.equal(steps.get.active, true);
      assert.equal(steps.get.sys_created_by, "alice");
      assert.match(steps.get.sys_created_on, DATETIME);

      assert.equal(steps.update, sysId);
      assert.equal(steps.get_after_update.priority, 2);
      assert.equal(steps.get_after_update.short_description, "Printer smouldering");

      assert.equal(steps.insertMultiple.length, 2);
      assert.deepEqual(
        steps.insertMultiple.map((record: any) => [record.number, record.priority]),
        [
          ["INC0002", 3],
          ["INC0003", 3],
        ],
      );
      assert.deepEqual(
        steps.getRecords.map((record: any) => [record.number, record.active]),
        [
          ["INC0002", null],
          ["INC0003", false],
        ],
      );
      const keys: string[] = steps.getKeys.sys_id.split(",");
      assert.equal(steps.getKeys.count, 2);
      assert.deepEqual(
        [...keys].sort(),
        steps.insertMultiple.map((record: any) => record.sys_id).sort(),
      );

      const groups = new Map(steps.aggregate.map((group: any) => [group.priority, group.COUNT]));
      assert.equal(groups.get(2), "1");
      assert.equal(groups.get(3), "2");

      assert.equal(steps.deleteRecord, 1);
      assert.equal(steps.deleteMultiple, 2);
      assert.equal(steps.getKeys_after_delete.count, 0);
    });
  }
});
