/**
 * The nine operations of SPEC §4 over real HTTP against a real SQLite file,
 * each answer checked, each write checked in the file itself, and every
 * encoded-query operator exercised once through the whole pipeline.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";

const ALICE = basicAuth("alice", "alice-password");

describe("operations over HTTP", () => {
  let gateway: TestGateway;
  const call = async (operation: string, children: string) => {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", operation, children), { authorization: ALICE });
    return response;
  };
  const ok = async (operation: string, children: string) => {
    const response = await call(operation, children);
    assert.equal(response.status, 200, response.body);
    assert.match(response.body, new RegExp(`<ns:${operation}Response xmlns:ns="http://www.service-now.com/incident">`));
    return response.body;
  };
  const numbersOf = (body: string) => [...body.matchAll(/<number>([^<]*)<\/number>/g)].map((m) => m[1]);

  before(async () => {
    gateway = await startTestGateway();
    await ok(
      "insertMultiple",
      [
        ["A1", "alpha printer", 1, "true", "2026-01-01 10:00:00"],
        ["A2", "beta printer", 2, "true", "2026-01-02T10:00:00Z"],
        ["B3", "gamma scanner", 3, "false", "2026-01-03 10:00:00"],
        ["B4", "", 4, "false", "2026-01-04 10:00:00"],
      ]
        .map(([n, d, p, a, o]) => `<record><number>${n}</number><short_description>${d}</short_description><priority>${p}</priority><active>${a}</active><opened_at>${o}</opened_at></record>`)
        .join(""),
    );
  });
  after(() => gateway.close());

  test("insertMultiple answered one insertResponse per record and wrote all four", () => {
    assert.equal(gateway.rows("incident").length, 4);
  });

  test("insert → sys_id and the inserted columns; get → the record with its datetime normalised", async () => {
    const inserted = await ok("insert", "<number>C5</number><priority>5</priority><opened_at>2026-02-01T08:30:00+02:00</opened_at>");
    const sysId = textOf(inserted, "sys_id")!;
    assert.match(sysId, /^[0-9a-f]{32}$/);
    const got = await ok("get", `<sys_id>${sysId}</sys_id>`);
    assert.equal(textOf(got, "number"), "C5");
    assert.equal(textOf(got, "opened_at"), "2026-02-01 06:30:00");
    assert.equal(textOf(got, "sys_created_by"), "alice");
  });

  test("update changes the columns and sys_updated_by; deleteRecord removes the row", async () => {
    const sysId = textOf(await ok("insert", "<number>D6</number>"), "sys_id")!;
    assert.equal(textOf(await ok("update", `<sys_id>${sysId}</sys_id><priority>9</priority>`), "sys_id"), sysId);
    assert.equal(gateway.rows("incident").find((row) => row.sys_id === sysId)!.priority, 9);
    assert.equal(textOf(await ok("deleteRecord", `<sys_id>${sysId}</sys_id>`), "count"), "1");
    assert.equal(gateway.rows("incident").some((row) => row.sys_id === sysId), false);
  });

  test("getKeys answers comma-separated sys_ids and their count", async () => {
    const body = await ok("getKeys", "<active>true</active>");
    assert.equal(textOf(body, "count"), "2");
    assert.equal(textOf(body, "sys_id")!.split(",").length, 2);
  });

  const operatorCases: [string, string[]][] = [
    ["number=A1", ["A1"]],
    ["number!=A1^numberSTARTSWITHA", ["A2"]],
    ["priority<2", ["A1"]],
    ["priority<=2", ["A1", "A2"]],
    ["priority>3^numberSTARTSWITHB", ["B4"]],
    ["priority>=3^numberSTARTSWITHB", ["B3", "B4"]],
    ["short_descriptionLIKEprint", ["A1", "A2"]],
    ["numberSTARTSWITHB", ["B3", "B4"]],
    ["short_descriptionENDSWITHscanner", ["B3"]],
    ["numberINA1,B3", ["A1", "B3"]],
    ["short_descriptionISEMPTY^numberSTARTSWITHB", ["B4"]],
    ["short_descriptionISNOTEMPTY^numberSTARTSWITHB", ["B3"]],
    ["active=true^priority=1^ORpriority=2", ["A1", "A2"]],
    ["opened_at>=2026-01-02 00:00:00^opened_at<2026-01-04 00:00:00", ["A2", "B3"]],
  ];
  for (const [query, expected] of operatorCases) {
    test(`getRecords __encoded_query ${query} → ${expected.join(", ")}`, async () => {
      const body = await ok("getRecords", `<__encoded_query>${query.replace(/</g, "&lt;")}</__encoded_query><__order_by>number</__order_by>`);
      assert.deepEqual(numbersOf(body), expected);
    });
  }

  test("ORDERBYDESC, __first_row and __last_row page the results", async () => {
    const body = await ok("getRecords", "<__encoded_query>numberSTARTSWITHA^ORnumberSTARTSWITHB^ORDERBYDESCpriority</__encoded_query><__first_row>1</__first_row><__last_row>3</__last_row>");
    assert.deepEqual(numbersOf(body), ["B3", "A2"]);
  });

  test("aggregate COUNT and AVG grouped by active", async () => {
    const body = await ok("aggregate", "<COUNT>*</COUNT><AVG>priority</AVG><GROUP_BY>active</GROUP_BY><__encoded_query>numberSTARTSWITHA^ORnumberSTARTSWITHB</__encoded_query>");
    assert.match(body, /<aggregateResult><active>false<\/active><COUNT>2<\/COUNT><AVG>3.5<\/AVG><\/aggregateResult><aggregateResult><active>true<\/active><COUNT>2<\/COUNT><AVG>1.5<\/AVG><\/aggregateResult>/);
  });

  test("an unknown field in an encoded query is a client fault naming it, nothing changed", async () => {
    const before = gateway.rows("incident").length;
    const response = await call("deleteMultiple", "<__encoded_query>colour=red</__encoded_query>");
    assert.equal(response.status, 500);
    assert.match(textOf(response.body, "faultstring") ?? "", /colour/);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("an unknown operator is a client fault, nothing changed", async () => {
    const before = gateway.rows("incident").length;
    const response = await call("deleteMultiple", "<__encoded_query>priorityBETWEEN1@3</__encoded_query>");
    assert.equal(response.status, 500);
    assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
    assert.equal(gateway.rows("incident").length, before);
  });

  test("an SQL-injection string is a value, bound as a parameter: stored literally, the table intact", async () => {
    const evil = "x'); DROP TABLE incident; --";
    await ok("insert", `<number>E7</number><short_description>${evil}</short_description>`);
    const body = await ok("getRecords", `<short_description>${evil}</short_description>`);
    assert.deepEqual(numbersOf(body), ["E7"]);
    assert.ok(gateway.rows("incident").length >= 5);
  });

  test("insertMultiple with one bad record writes nothing", async () => {
    const before = gateway.rows("incident").length;
    const response = await call("insertMultiple", "<record><number>F8</number></record><record><priority>not-a-number</priority></record>");
    assert.equal(response.status, 500);
    assert.match(textOf(response.body, "faultstring") ?? "", /priority/);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("deleteMultiple removes exactly the matching rows", async () => {
    const body = await ok("deleteMultiple", "<__encoded_query>numberSTARTSWITHB</__encoded_query>");
    assert.equal(textOf(body, "count"), "2");
    assert.equal(gateway.rows("incident").some((row) => String(row.number).startsWith("B")), false);
  });
});
