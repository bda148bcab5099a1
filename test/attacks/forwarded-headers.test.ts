/**
 * X-Forwarded-For/-Proto/-Host behind a TLS-terminating proxy (SPEC §2
 * `trusted_proxies`, `public_url`): believed only from a trusted proxy
 * (127.0.0.1 here), ignored from anyone else (127.0.0.2, a loopback address
 * the test binds to), with the client = the right-most forwarded address
 * that is not a trusted proxy. Throttling, the audit line and the WSDL's
 * soap:address all use that client view.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { resolveClient } from "../../src/http/forwarded.js";
import { parseCidr } from "../../src/config/cidr.js";
import { basicAuth, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { DEFAULT_USERS_YAML } from "../helpers/config-dir.js";

const PROXY = "127.0.0.1";
const STRANGER = "127.0.0.2";

interface Answer {
  readonly status: number;
  readonly body: string;
}

function get(gateway: TestGateway, path: string, from: string, headers: Record<string, string>): Promise<Answer> {
  const url = new URL(path, gateway.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "GET", localAddress: from, headers, agent: false },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function soapAddress(wsdl: string): string | undefined {
  return /<soap:address location="([^"]+)"/.exec(wsdl)?.[1];
}

const GOOD = basicAuth("alice", "alice-password");
const BAD = basicAuth("alice", "wrong-password");

describe("trusted_proxies: forwarded headers believed only from a trusted proxy", () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway({
      files: {
        gateway: [
          "basic_auth:\n  required: true",
          "ws_security:\n  required: false",
          "strict_security: false",
          `trusted_proxies: [${PROXY}/32, 10.0.0.0/8]`,
          "throttle:\n  max_failures: 2\n  window_seconds: 600\n  cooldown_seconds: 600",
          "",
        ].join("\n"),
        users: DEFAULT_USERS_YAML,
      },
    });
  });
  after(async () => {
    await gateway.close();
  });

  test("WSDL through the trusted proxy → soap:address from X-Forwarded-Proto and -Host", async () => {
    const answer = await get(gateway, "/incident.do?WSDL", PROXY, {
      authorization: GOOD,
      "x-forwarded-proto": "https",
      "x-forwarded-host": "soap.example.com",
      "x-forwarded-for": "198.51.100.20",
    });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(soapAddress(answer.body), "https://soap.example.com/incident.do?SOAP");
  });

  test("WSDL from an untrusted peer with forged X-Forwarded-Proto/-Host → soap:address from its own connection", async () => {
    const answer = await get(gateway, "/incident.do?WSDL", STRANGER, {
      authorization: GOOD,
      "x-forwarded-proto": "https",
      "x-forwarded-host": "evil.example.net",
    });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(soapAddress(answer.body), `${gateway.url}/incident.do?SOAP`);
  });

  test("throttling through the proxy counts the forwarded client: one bad partner does not block the others behind it", async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await get(gateway, "/incident.do?WSDL", PROXY, { authorization: BAD, "x-forwarded-for": "203.0.113.7" });
      assert.equal(answer.status, 401);
    }
    const blocked = await get(gateway, "/incident.do?WSDL", PROXY, { authorization: GOOD, "x-forwarded-for": "203.0.113.7" });
    assert.equal(blocked.status, 429);
    const neighbour = await get(gateway, "/incident.do?WSDL", PROXY, { authorization: GOOD, "x-forwarded-for": "203.0.113.8" });
    assert.equal(neighbour.status, 200, "another client behind the same proxy is not blocked");
    // The client prepends a forged address: the right-most untrusted one (the one our proxy saw) still counts.
    const forged = await get(gateway, "/incident.do?WSDL", PROXY, { authorization: GOOD, "x-forwarded-for": "192.0.2.1, 203.0.113.7" });
    assert.equal(forged.status, 429);
    // Through a second, trusted hop (10.1.2.3): still the client left of it.
    const twoHops = await get(gateway, "/incident.do?WSDL", PROXY, { authorization: GOOD, "x-forwarded-for": "203.0.113.7, 10.1.2.3" });
    assert.equal(twoHops.status, 429);
  });

  test("an untrusted peer cannot escape throttling by rotating X-Forwarded-For", async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await get(gateway, "/incident.do?WSDL", STRANGER, { authorization: BAD, "x-forwarded-for": `198.51.100.${i + 1}` });
      assert.equal(answer.status, 401);
    }
    const rotated = await get(gateway, "/incident.do?WSDL", STRANGER, { authorization: GOOD, "x-forwarded-for": "198.51.100.99" });
    assert.equal(rotated.status, 429, "the peer address is what counts");
  });

  test("the audit line names the forwarded client and the proxy it came through; from an untrusted peer, the peer", () => {
    const audits = gateway
      .logLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter((audit): audit is Record<string, unknown> => audit !== undefined);
    assert.ok(audits.some((audit) => audit.clientAddress === "198.51.100.20" && audit.proxyAddress === PROXY));
    const fromStranger = audits.filter((audit) => audit.clientAddress === STRANGER);
    assert.ok(fromStranger.length >= 3);
    assert.ok(fromStranger.every((audit) => audit.proxyAddress === undefined));
    assert.ok(!audits.some((audit) => String(audit.clientAddress).startsWith("198.51.100.9")), "a forged address from an untrusted peer is never the client");
  });
});

describe("public_url", () => {
  test("the WSDL's soap:address is public_url whatever the request's Host", async () => {
    const gateway = await startTestGateway({
      files: {
        gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nstrict_security: false\npublic_url: https://soap.example.com/gateway/\n",
        users: DEFAULT_USERS_YAML,
      },
    });
    try {
      const answer = await get(gateway, "/incident.do?WSDL", STRANGER, { authorization: GOOD, host: "internal-name:8080" });
      assert.equal(answer.status, 200, answer.body);
      assert.equal(soapAddress(answer.body), "https://soap.example.com/gateway/incident.do?SOAP");
    } finally {
      await gateway.close();
    }
  });
});

describe("resolveClient: the right-most X-Forwarded-For address that is not a trusted proxy", () => {
  const trusted = ["10.0.0.0/8", "127.0.0.1", "fd00::/8"].map((text) => parseCidr(text)!);
  const view = (peer: string, xff?: string) =>
    resolveClient({ peer, encrypted: false, headers: { host: "gw:8080", ...(xff === undefined ? {} : { "x-forwarded-for": xff }) } }, trusted);

  test("untrusted peer: headers ignored", () => assert.equal(view("192.0.2.5", "203.0.113.1").address, "192.0.2.5"));
  test("IPv4-mapped trusted peer: believed", () => assert.equal(view("::ffff:127.0.0.1", "203.0.113.1").address, "203.0.113.1"));
  test("every hop trusted: the left-most", () => assert.equal(view("127.0.0.1", "10.0.0.9, 10.0.0.8").address, "10.0.0.9"));
  test("garbage in the chain: nothing left of it is believed", () => assert.equal(view("127.0.0.1", "203.0.113.1, not-an-ip, 10.0.0.3").address, "10.0.0.3"));
  test("no header from a trusted proxy: the proxy", () => assert.equal(view("127.0.0.1").address, "127.0.0.1"));
  test("IPv6 client behind an IPv6 proxy", () => assert.equal(view("fd00::1", "2001:db8::7").address, "2001:db8::7"));
});

describe("trusted_proxies and public_url are validated", () => {
  test("not a CIDR / not an http(s) URL → a problem naming the field", async () => {
    const { checkConfig } = await import("../../src/config/load.js");
    const { makeConfigDir } = await import("../helpers/config-dir.js");
    const { formatConfigProblem } = await import("../../src/config/types.js");
    const dir = makeConfigDir({ gateway: "trusted_proxies: [10.0.0.0/33, proxy.example.com]\npublic_url: ftp://x.example\n" });
    assert.deepEqual(checkConfig(dir).map(formatConfigProblem), [
      "gateway.yaml:1: trusted_proxies[0]: must be an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8",
      "gateway.yaml:1: trusted_proxies[1]: must be an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8",
      "gateway.yaml:2: public_url: must be an absolute http:// or https:// URL without query, fragment or credentials, e.g. https://soap.example.com",
    ]);
  });
});
