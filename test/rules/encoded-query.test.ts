import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ALLOW_ALL_COLUMNS } from "../../src/operations/index.js";
import { bindEncodedQuery, parseEncodedQuery } from "../../src/operations/encoded-query.js";
import { assertClientFault, countRows, INCIDENT, openTestStore, records, type TestStore } from "../helpers/table-fixture.js";

/** XML-escapes a query for the __encoded_query element. */
function xmlText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

let t: TestStore;
before(async () => {
  t = await openTestStore();
  // number, short_description, priority, cost, active, opened_at
  const rows: [string, string, string, string, string, string][] = [
    ["INC1", "Email down", "1", "10.5", "true", "2024-01-01 08:00:00"],
    ["INC2", "VPN slow", "2", "99.99", "false", "2024-02-01T12:00:00+01:00"],
    ["INC3", "100% CPU_load", "3", "", "true", "2024-03-01 00:00:00"],
    ["INC4", "", "", "", "false", ""],
    ["INC5", "printer jam'; DROP TABLE incident; --", "1", "0", "true", "2023-12-31 23:59:59"],
    ["INC6", "a^b caret", "5", "-3", "", ""],
  ];
  const xml = rows
    .map(
      ([number, description, priority, cost, active, opened]) =>
        `<record><number>${number}</number><short_description>${xmlText(description)}</short_description>` +
        `<priority>${priority}</priority><cost>${cost}</cost><active>${active}</active><opened_at>${opened}</opened_at></record>`,
    )
    .join("");
  await t.run(`<insertMultiple>${xml}</insertMultiple>`);
});
after(async () => {
  await t.close();
});

/** The `number` of each record the encoded query selects, ordered by number unless the query orders. */
async function numbers(query: string): Promise<string[]> {
  const xml = `<getRecords><__encoded_query>${xmlText(query)}</__encoded_query></getRecords>`;
  const found = records(await t.run(xml), "getRecordsResult").map((row) => row.number!);
  return query.includes("ORDERBY") ? found : found.sort();
}

async function assertQueryFault(query: string, message: string): Promise<void> {
  await assertClientFault(t.run(`<getRecords><__encoded_query>${xmlText(query)}</__encoded_query></getRecords>`), message);
}

describe("encoded query AST", () => {
  test("a=1^ORb=2^c=3 parses as (a=1 OR b=2) AND c=3", () => {
    const query = parseEncodedQuery("priority=1^ORnumber=INC2^active=true^ORDERBYDESCopened_at", INCIDENT);
    assert.deepEqual(query, {
      kind: "encodedQuery",
      where: [
        {
          kind: "anyOf",
          terms: [
            { kind: "term", field: "priority", operator: "=", value: "1" },
            { kind: "term", field: "number", operator: "=", value: "INC2" },
          ],
        },
        { kind: "anyOf", terms: [{ kind: "term", field: "active", operator: "=", value: "true" }] },
      ],
      orderBy: [{ column: "opened_at", direction: "desc" }],
    });
  });

  test("binding types the values and nests OR inside AND", () => {
    const bound = bindEncodedQuery(parseEncodedQuery("priority>=2^ORactiveISEMPTY^costIN1,2.5", INCIDENT), INCIDENT, ALLOW_ALL_COLUMNS);
    assert.deepEqual(bound.filter, {
      kind: "and",
      filters: [
        {
          kind: "or",
          filters: [
            { kind: "compare", column: "priority", op: ">=", value: 2 },
            { kind: "isEmpty", column: "active" },
          ],
        },
        { kind: "in", column: "cost", values: [1, 2.5] },
      ],
    });
    assert.equal(bound.hasConditions, true);
  });

  test("the longest field name wins when one is a prefix of another", () => {
    const table = { name: "t", columns: new Map([["a", { name: "a", type: "string" as const, maxLength: undefined }], ["ab", { name: "ab", type: "string" as const, maxLength: undefined }]]) };
    assert.deepEqual(parseEncodedQuery("ab=1", table).where[0]!.terms[0], { kind: "term", field: "ab", operator: "=", value: "1" });
    assert.deepEqual(parseEncodedQuery("a=b=1", table).where[0]!.terms[0], { kind: "term", field: "a", operator: "=", value: "b=1" });
  });
});

describe("encoded query operators", () => {
  const cases: [string, string[]][] = [
    ["priority=1", ["INC1", "INC5"]],
    ["priority!=1", ["INC2", "INC3", "INC4", "INC6"]],
    ["priority<2", ["INC1", "INC5"]],
    ["priority<=2", ["INC1", "INC2", "INC5"]],
    ["priority>3", ["INC6"]],
    ["priority>=3", ["INC3", "INC6"]],
    ["cost<0", ["INC6"]],
    ["cost>=10.5", ["INC1", "INC2"]],
    ["short_descriptionLIKEdown", ["INC1"]],
    ["short_descriptionLIKEDOWN", ["INC1"]],
    ["short_descriptionSTARTSWITHvpn", ["INC2"]],
    ["short_descriptionENDSWITHslow", ["INC2"]],
    ["numberIN INC1,INC3", ["INC3"]],
    ["numberININC1,INC3,INC9", ["INC1", "INC3"]],
    ["priorityIN2,3,5", ["INC2", "INC3", "INC6"]],
    ["activeISEMPTY", ["INC6"]],
    ["activeISNOTEMPTY", ["INC1", "INC2", "INC3", "INC4", "INC5"]],
    ["short_descriptionISEMPTY", ["INC4"]],
    ["short_descriptionISNOTEMPTY", ["INC1", "INC2", "INC3", "INC5", "INC6"]],
    ["active=true", ["INC1", "INC3", "INC5"]],
    ["active=0", ["INC2", "INC4"]],
    ["opened_at>2024-01-01 08:00:00", ["INC2", "INC3"]],
    ["opened_at=2024-02-01T11:00:00Z", ["INC2"]],
    ["opened_at<2024-01-01T01:00:00+01:00", ["INC5"]],
    ["opened_at<2024-01-01T00:00:00+01:00", []],
    ["sys_created_by=partner.soap^number=INC4", ["INC4"]],
    ["cost=", ["INC3", "INC4"]],
    ["cost!=", ["INC1", "INC2", "INC5", "INC6"]],
  ];
  for (const [query, expected] of cases) {
    test(`${query} → ${expected.join(", ") || "nothing"}`, async () => {
      assert.deepEqual(await numbers(query), expected);
    });
  }
});

describe("^ (and) and ^OR (or)", () => {
  test("^ requires both terms", async () => {
    assert.deepEqual(await numbers("priority=1^active=true^short_descriptionLIKEjam"), ["INC5"]);
  });

  test("^OR accepts either term", async () => {
    assert.deepEqual(await numbers("priority=2^ORpriority=3"), ["INC2", "INC3"]);
  });

  test("OR binds tighter than AND: a^ORb^c = (a OR b) AND c", async () => {
    assert.deepEqual(await numbers("priority=1^ORpriority=2^active=false"), ["INC2"]);
    assert.deepEqual(await numbers("active=false^priority=1^ORpriority=2"), ["INC2"]);
  });

  test("several OR groups are ANDed", async () => {
    assert.deepEqual(await numbers("priority=1^ORpriority=3^active=true^ORactiveISEMPTY^short_descriptionLIKEcpu"), ["INC3"]);
  });

  test("empty segments and the platform's trailing ^EQ are ignored", async () => {
    assert.deepEqual(await numbers("priority=2^EQ"), ["INC2"]);
    assert.deepEqual(await numbers("^priority=2^"), ["INC2"]);
  });

  test("^^ is a literal caret inside a value", async () => {
    assert.deepEqual(await numbers("short_descriptionSTARTSWITHa^^b"), ["INC6"]);
    await assertQueryFault("priority=2^^EQ", "Invalid integer value for field 'priority': '2^EQ'");
  });
});

describe("ORDERBY and ORDERBYDESC", () => {
  test("ORDERBY sorts ascending, empty values first", async () => {
    assert.deepEqual(await numbers("ORDERBYpriority^ORDERBYnumber"), ["INC4", "INC1", "INC5", "INC2", "INC3", "INC6"]);
  });

  test("ORDERBYDESC sorts descending, empty values last", async () => {
    assert.deepEqual(await numbers("ORDERBYDESCcost^ORDERBYnumber"), ["INC2", "INC1", "INC5", "INC6", "INC3", "INC4"]);
  });

  test("ordering combines with conditions wherever it appears", async () => {
    assert.deepEqual(await numbers("ORDERBYDESCnumber^priority=1"), ["INC5", "INC1"]);
    assert.deepEqual(await numbers("priority=1^ORDERBYDESCnumber^ORpriority=2"), ["INC5", "INC2", "INC1"]);
  });

  test("__order_by comes before the encoded query's ordering", async () => {
    const xml =
      "<getRecords><__order_by>active</__order_by><__encoded_query>activeISNOTEMPTY^ORDERBYDESCnumber</__encoded_query></getRecords>";
    assert.deepEqual(records(await t.run(xml), "getRecordsResult").map((row) => row.number), ["INC4", "INC2", "INC5", "INC3", "INC1"]);
  });
});

describe("values stay values", () => {
  test("LIKE treats % and _ literally", async () => {
    assert.deepEqual(await numbers("short_descriptionLIKE%"), ["INC3"]);
    assert.deepEqual(await numbers("short_descriptionLIKE_"), ["INC3"]);
    assert.deepEqual(await numbers("short_descriptionLIKEu_l"), ["INC3"]);
    assert.deepEqual(await numbers("short_descriptionLIKEu%l"), []);
  });

  test("SQL in a value is matched as text and runs nothing", async () => {
    assert.deepEqual(await numbers("short_description=printer jam'; DROP TABLE incident; --"), ["INC5"]);
    assert.deepEqual(await numbers("short_description=x' OR '1'='1"), []);
    assert.deepEqual(await numbers("short_descriptionLIKE'; DROP"), ["INC5"]);
    assert.equal(await countRows(t.store), 6);
  });

  test("SQL in a field position is an unknown field", async () => {
    await assertQueryFault("1=1) OR (1=1", "Unknown field '1' in encoded query");
    await assertQueryFault("number=1 --^ORDERBYnumber; DROP TABLE incident", "Unknown field 'number; DROP TABLE incident' in encoded query");
    assert.equal(await countRows(t.store), 6);
  });
});

describe("encoded query faults", () => {
  const faults: [string, string][] = [
    ["caller=bob", "Unknown field 'caller' in encoded query"],
    ["caller.name=bob", "Unknown field 'caller.name' in encoded query"],
    ["numbe=INC1", "Unknown field 'numbe' in encoded query"],
    ["priority=1^ORcaller=bob", "Unknown field 'caller' in encoded query"],
    ["ORDERBYcaller", "Unknown field 'caller' in encoded query"],
    ["ORDERBYDESCcaller", "Unknown field 'caller' in encoded query"],
    ["=5", "Unknown field '' in encoded query"],
    ["priorityBETWEEN1@3", "Unknown operator 'BETWEEN' after field 'priority' in encoded query"],
    ["short_descriptionNOT LIKEx", "Unknown operator 'NOT' after field 'short_description' in encoded query"],
    ["priority~1", "Unknown operator '~' after field 'priority' in encoded query"],
    ["priority", "Missing operator after field 'priority' in encoded query"],
    ["ORpriority=1", "Encoded query term 'ORpriority=1' has no term before it to OR with"],
    ["priority=1^NQpriority=2", "Encoded query operator '^NQ' is not supported"],
    ["activeISEMPTYx", "Operator ISEMPTY takes no value (field 'active')"],
    ["priorityLIKE1", "Operator LIKE needs a string field; 'priority' is integer"],
    ["opened_atSTARTSWITH2024", "Operator STARTSWITH needs a string field; 'opened_at' is datetime"],
    ["priority=high", "Invalid integer value for field 'priority': 'high'"],
    ["priority>", "Invalid integer value for field 'priority': ''"],
    ["priorityIN1,x", "Invalid integer value for field 'priority': 'x'"],
    ["active=yes", "Invalid boolean value for field 'active': 'yes'"],
    ["cost<=cheap", "Invalid decimal value for field 'cost': 'cheap'"],
    ["opened_at>yesterday", "Invalid datetime value for field 'opened_at': 'yesterday'"],
    ["number=INC000000001", "Value for field 'number' is longer than 10 characters"],
    ["numberLIKEINC000000001", "Value for field 'number' is longer than 10 characters"],
    [`priorityIN${Array.from({ length: 1001 }, (_, i) => i).join(",")}`, "Operator IN takes at most 1000 values (field 'priority')"],
    [Array.from({ length: 201 }, () => "priority=1").join("^"), "Encoded query has more than 200 terms"],
  ];
  for (const [query, message] of faults) {
    test(`${query.length > 60 ? `${query.slice(0, 60)}…` : query} → ${message}`, async () => {
      await assertQueryFault(query, message);
    });
  }
});
