/**
 * String.prototype stays in V8's fast-properties mode in a running gateway
 * (src/runtime/string-prototype.ts): ioredis's `class VerbatimString extends
 * String` puts it in dictionary mode, where every `charCodeAt`, `slice` or
 * `indexOf` in the parser, c14n and serialization is a full builtin call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import "ioredis";
import { basicAuth, postSoap, soapEnvelope, startTestGateway } from "../helpers/gateway.js";

setFlagsFromString("--allow-natives-syntax");
const hasFastProperties = new Function("object", "return %HasFastProperties(object)") as (object: object) => boolean;

test("a started gateway, with ioredis loaded, keeps String.prototype fast while it serves requests", async () => {
  assert.equal(hasFastProperties(String.prototype), false, "loading ioredis no longer slows String.prototype: the workaround may be obsolete");
  const gateway = await startTestGateway({
    files: { gateway: "basic_auth:\n  required: true\n  realm: wss-gateway\nws_security:\n  required: false\nstrict_security: false\n" },
  });
  try {
    assert.equal(hasFastProperties(String.prototype), true, "not fast after start");
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>INC001</number>"), { authorization: basicAuth("alice", "alice-password") });
    assert.equal(response.status, 200, response.body);
    assert.equal(hasFastProperties(String.prototype), true, "not fast after a request");
  } finally {
    await gateway.close();
  }
});
