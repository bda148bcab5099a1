/**
 * The fault catalogue (src/soap/faults.ts) matches the SPEC's fault table
 * verbatim: every row's faultstring and code is in the catalogue, and the
 * HTTP statuses follow the SPEC (only `Malformed SOAP request` is 400).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FAULTS } from "../src/soap/faults.js";

const SPEC_PATH = join(import.meta.dirname, "..", "..", "shared", "SPEC.md");
const specMissing = existsSync(SPEC_PATH) ? undefined : `SPEC.md not found at ${SPEC_PATH}`;

function specFaultRows(): { string: string; code: string }[] {
  const spec = readFileSync(SPEC_PATH, "utf8");
  const table = spec.slice(spec.indexOf("| when | faultstring | code |"));
  return table
    .split("\n")
    .filter((line) => /^\| .* \| `[^`]+` \| `[^`]+` \|$/.test(line))
    .map((line) => {
      const [, string, code] = /\| `([^`]+)` \| `([^`]+)` \|$/.exec(line)!;
      return { string: string!, code: code! };
    });
}

test("every WS-Security fault of the SPEC table is in the catalogue with its exact string and code", { skip: specMissing }, () => {
  const rows = specFaultRows();
  assert.equal(rows.length, 9, "the SPEC table has nine wsse/wsu rows");
  const catalogue = Object.values(FAULTS).map((fault) => ({ string: fault.string, code: fault.code as string }));
  for (const row of rows) {
    assert.ok(
      catalogue.some((fault) => fault.string === row.string && fault.code === row.code),
      `missing from the catalogue: ${row.string} (${row.code})`,
    );
  }
});

test("the rights fault is the SPEC's template, a Client fault", { skip: specMissing }, () => {
  const spec = readFileSync(SPEC_PATH, "utf8");
  assert.ok(spec.includes(`\`${FAULTS.insufficientRights.string}\``));
  assert.equal(FAULTS.insufficientRights.code, "Client");
});

test("SOAP faults carry HTTP 500 except Malformed SOAP request (400) and Service temporarily unavailable (503)", () => {
  for (const [id, fault] of Object.entries(FAULTS)) {
    assert.equal(fault.http, id === "malformed" ? 400 : id === "unavailable" ? 503 : 500, id);
  }
  assert.equal(FAULTS.unavailable.string, "Service temporarily unavailable");
  assert.equal(FAULTS.unavailable.code, "Server");
  assert.equal(FAULTS.malformed.string, "Malformed SOAP request");
});

test("the MustUnderstand fault is the SPEC's row: `Header not understood: {qname}`, SOAP's own MustUnderstand code, HTTP 500", { skip: specMissing }, () => {
  const spec = readFileSync(SPEC_PATH, "utf8");
  const row = spec.split("\n").find((line) => line.startsWith("| ") && line.includes(`\`${FAULTS.mustUnderstand.string}\``));
  assert.ok(row, "the SPEC's fault table has the MustUnderstand row");
  assert.match(row, /\| `MustUnderstand` \(SOAP env namespace\) \|$/);
  assert.equal(FAULTS.mustUnderstand.code, "MustUnderstand");
  assert.equal(FAULTS.mustUnderstand.http, 500);
});
