import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { hashPassword, verifyScryptHash } from "../../src/auth/password.js";
import { runCheckConfig } from "../../src/cli/check-config.js";
import { runHashPassword } from "../../src/cli/hash-password.js";
import { checkConfig, loadConfig } from "../../src/config/load.js";
import { ConfigError, formatConfigProblem, type X509Profile } from "../../src/config/types.js";
import { makeConfigDir, type ConfigFileName } from "../helpers/config-dir.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const noEnv: NodeJS.ProcessEnv = {};

/** The problems of a configuration made of the defaults plus `files`, as printed by check-config. */
function problems(
  files: Partial<Record<ConfigFileName, string>>,
  extra: Record<string, string | Buffer> = {},
  env: NodeJS.ProcessEnv = noEnv,
): string[] {
  return checkConfig(makeConfigDir(files, extra), { env }).map(formatConfigProblem);
}

let SCRYPT_HASH_OF_S3CRET = "";
before(async () => {
  SCRYPT_HASH_OF_S3CRET = await hashPassword("s3cret", 10);
});

describe("configuration: the demo and the defaults", () => {
  test("the demo configuration in policies/ is clean", () => {
    assert.deepEqual(checkConfig(join(repoRoot, "policies"), { env: noEnv }), []);
  });

  test("the demo configuration pins certs/demo-partner.pem and binds the session to partner.soap", () => {
    const config = loadConfig(join(repoRoot, "policies"), { env: noEnv });
    const partner = config.profiles[0] as X509Profile;
    assert.equal(partner.name, "Partner certificate");
    assert.equal(partner.kind, "x509");
    assert.equal(partner.certificates[0]!.path, join(repoRoot, "certs/demo-partner.pem"));
    assert.equal(partner.runAsUser, "partner.soap");
    assert.deepEqual(config.profiles.map((p) => p.name), ["Partner certificate", "Partner credentials", "Shared secret"]);
    assert.equal(config.users.get("partner.soap")?.password.kind, "scrypt-hash");
    assert.equal(config.gateway.wsSecurity.required, true);
  });

  test("an empty gateway.yaml takes every SPEC §2 default from the schema", () => {
    const config = loadConfig(makeConfigDir({ gateway: "" }), { env: noEnv });
    assert.deepEqual(config.gateway, {
      basicAuth: { required: true, realm: "wss-gateway" },
      wsSecurity: {
        required: true,
        defaultPolicy: "Default Security Policy",
        timestampTtlSeconds: 300,
        clockSkewSeconds: 60,
        allowSha1: false,
        minRsaKeyBits: 2048,
        shadowPolicy: undefined,
      },
      strictSecurity: true,
      wsdlRequiresSoapRole: true,
      wsdlRoles: ["soap"],
      trustedProxies: [],
      publicUrl: null,
      certificateExpiryWarningDays: 30,
      debug: false,
      limits: {
        maxBodyBytes: 4194304,
        maxConcurrentRequests: 256,
        maxInflightBodyBytes: 67108864,
        maxXmlDepth: 128,
        maxXmlElements: 100000,
        maxAttributesPerElement: 64,
        maxSignatureReferences: 30,
      },
      throttle: { maxFailures: 20, windowSeconds: 60, cooldownSeconds: 60 },
    });
  });

  test("profiles, policies, users and acls files are optional (absent = empty list)", () => {
    const dir = makeConfigDir();
    for (const name of ["profiles", "policies", "users", "acls"]) rmSync(join(dir, `${name}.yaml`));
    const config = loadConfig(dir, { env: noEnv });
    assert.equal(config.profiles.length, 0);
    assert.equal(config.policies.length, 0);
    assert.equal(config.users.size, 0);
    assert.equal(config.acls.length, 0);
    assert.equal(config.tables.get("incident")?.columns.size, 5);
  });

  test("gateway.yaml and tables.yaml are required", () => {
    const dir = makeConfigDir();
    rmSync(join(dir, "gateway.yaml"));
    rmSync(join(dir, "tables.yaml"));
    assert.deepEqual(checkConfig(dir).map(formatConfigProblem), [
      "gateway.yaml:1: (file): required file is missing",
      "tables.yaml:1: (file): required file is missing",
    ]);
  });

  test("the configuration is deep-frozen: objects, lists and maps refuse changes", () => {
    const config = loadConfig(makeConfigDir(), { env: noEnv });
    assert.throws(() => {
      (config.gateway.limits as { maxBodyBytes: number }).maxBodyBytes = 1;
    }, TypeError);
    assert.throws(() => {
      (config.acls as unknown as unknown[]).push({});
    }, TypeError);
    assert.throws(() => {
      (config.users.get("alice")!.roles as string[]).push("admin");
    }, TypeError);
    assert.equal((config.users as unknown as { set?: unknown }).set, undefined);
    assert.equal((config.tables.get("incident")!.columns as unknown as { delete?: unknown }).delete, undefined);
    assert.deepEqual(config.users.get("alice")!.roles, ["soap"]);
  });

  test("loadConfig throws ConfigError carrying every problem, across files", () => {
    const dir = makeConfigDir({
      gateway: "strict_security: maybe\n",
      acls: "acls:\n  - table: incident\n    operation: read\n    roles: [nobody_has_this]\n",
    });
    assert.throws(
      () => loadConfig(dir, { env: noEnv }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems.map(formatConfigProblem), [
          "gateway.yaml:1: strict_security: expected boolean, got string",
          "acls.yaml:4: acls[0].roles[0]: role \"nobody_has_this\" is neither a SOAP role nor granted to any user",
        ]);
        return true;
      },
    );
  });
});

describe("configuration problems are reported with file, line and field", () => {
  test("YAML syntax error → its line", () => {
    assert.deepEqual(problems({ users: "users:\n  - user_name: alice\n    roles: soap: x\n" }), [
      "users.yaml:3: (yaml): YAML syntax error: Nested mappings are not allowed in compact mappings",
    ]);
  });

  test("unknown key at every level is an error", () => {
    assert.deepEqual(
      problems({
        gateway: "basic_auth:\n  required: true\n  realms: x\nws_securty: {}\nlimits:\n  max_body: 1\n",
        profiles: "profile: []\n",
        policies: "policies:\n  - name: P\n    type: inbound\n    require_signing: true\n",
        users: "users:\n  - user_name: alice\n    role: [soap]\n",
        acls: "acls:\n  - table: incident\n    operation: read\n    condition: x\n",
        tables:
          "tables:\n  - name: incident\n    display: Incident\n    columns:\n      number: {type: string, maxLength: 40}\n",
      }),
      [
        'gateway.yaml:3: basic_auth.realms: unknown key; did you mean "realm"?',
        'gateway.yaml:4: ws_securty: unknown key; did you mean "ws_security"?',
        "gateway.yaml:6: limits.max_body: unknown key",
        'profiles.yaml:1: profile: unknown key; did you mean "profiles"?',
        'policies.yaml:4: policies[0].require_signing: unknown key; did you mean "require_signed"?',
        'users.yaml:3: users[0].role: unknown key; did you mean "roles"?',
        "acls.yaml:4: acls[0].condition: unknown key",
        "tables.yaml:3: tables[0].display: unknown key",
        'tables.yaml:5: tables[0].columns.number.maxLength: unknown key; did you mean "max_length"?',
      ],
    );
  });

  test("a key that belongs to another profile type is unknown (x509 profile with user_field)", () => {
    assert.deepEqual(
      problems(
        {
          profiles:
            "profiles:\n  - name: X\n    type: x509\n    run_as_user: alice\n    certificate: c.pem\n    user_field: email\n",
        },
      ),
      // c.pem is checked too although the file failed the schema: every problem in one run.
      ["profiles.yaml:5: profiles[0].certificate: c.pem: certificate file does not exist", "profiles.yaml:6: profiles[0].user_field: unknown key"],
    );
  });

  test("wrong types", () => {
    assert.deepEqual(
      problems({
        gateway: "debug: \"true\"\nws_security:\n  timestamp_ttl_seconds: five\n",
        users: "users:\n  - user_name: alice\n    roles: soap\n",
        tables: "tables:\n  - name: incident\n    columns: [number]\n",
      }),
      [
        "gateway.yaml:1: debug: expected boolean, got string",
        "gateway.yaml:3: ws_security.timestamp_ttl_seconds: expected number, got string",
        "users.yaml:3: users[0].roles: expected list, got string",
        "tables.yaml:3: tables[0].columns: expected mapping, got list",
      ],
    );
  });

  test("missing required fields point at the entry that lacks them", () => {
    assert.deepEqual(
      problems({
        profiles: "profiles:\n  - type: username\n    action: authenticate_with_user\n    user_field: email\n",
        users: "users:\n  - email: a@example.test\n",
        acls: "acls:\n  - table: incident\n",
        tables: "tables:\n  - name: incident\n",
      }),
      [
        "profiles.yaml:2: profiles[0].name: required field is missing",
        "users.yaml:2: users[0].user_name: required field is missing",
        "acls.yaml:2: acls[0].operation: required field is missing",
        "tables.yaml:2: tables[0].columns: required field is missing",
      ],
    );
  });

  test("bad enum values: profile type, action, user_field, policy type, authenticate, ACL operation, column type", () => {
    assert.deepEqual(
      problems({
        profiles: [
          "profiles:",
          "  - name: K",
          "    type: kerberos",
          "  - name: U",
          "    type: username",
          "    action: impersonate",
          "  - name: E",
          "    type: username",
          "    action: authenticate_with_user",
          "    user_field: phone",
          "",
        ].join("\n"),
        policies: "policies:\n  - name: P\n    type: sideways\n    authenticate: most\n",
        acls: "acls:\n  - table: incident\n    operation: truncate\n",
        tables: "tables:\n  - name: incident\n    columns:\n      number: {type: varchar}\n",
      }),
      [
        "profiles.yaml:3: profiles[0].type: must be one of x509, username",
        "profiles.yaml:6: profiles[1].action: must be one of authenticate_with_user, specify_user",
        "profiles.yaml:10: profiles[2].user_field: must be one of user_name, email",
        "policies.yaml:3: policies[0].type: must be one of inbound, outbound",
        "policies.yaml:4: policies[0].authenticate: must be one of all, at_least_one",
        "acls.yaml:3: acls[0].operation: must be one of read, create, write, delete",
        "tables.yaml:4: tables[0].columns.number.type: must be one of string, integer, decimal, boolean, datetime",
      ],
    );
  });

  test("duplicate names: profile, policy, user, table, column", () => {
    assert.deepEqual(
      problems({
        profiles: [
          "profiles:",
          "  - {name: Creds, type: username, action: authenticate_with_user, user_field: user_name}",
          "  - {name: Creds, type: username, action: authenticate_with_user, user_field: email}",
          "",
        ].join("\n"),
        gateway: "ws_security: {default_policy: P}\n",
        policies: "policies:\n  - {name: P, type: inbound}\n  - {name: P, type: outbound}\n",
        users: "users:\n  - user_name: alice\n  - user_name: bob\n  - user_name: alice\n",
        tables: [
          "tables:",
          "  - name: incident",
          "    columns: {number: {type: string}}",
          "  - name: incident",
          "    columns: {number: {type: string}}",
          "  - name: problem",
          "    columns:",
          "      number: {type: string}",
          "      number: {type: integer}",
          "",
        ].join("\n"),
      }, {}),
      [
        "profiles.yaml:3: profiles[1].name: duplicate profile \"Creds\" (also profiles[0])",
        "policies.yaml:3: policies[1].name: duplicate policy \"P\" (also policies[0])",
        "users.yaml:4: users[2].user_name: duplicate user \"alice\" (also users[0])",
        "tables.yaml:9: tables[2].columns.number: duplicate column \"number\"",
      ],
    );
    // Duplicate tables are reported once the columns are unique again.
    assert.deepEqual(
      problems({
        tables: "tables:\n  - name: incident\n    columns: {number: {type: string}}\n  - name: incident\n    columns: {}\n",
      }),
      ["tables.yaml:4: tables[1].name: duplicate table \"incident\" (also tables[0])"],
    );
  });

  test("a __proto__ key is refused wherever it appears (never silently dropped)", () => {
    assert.deepEqual(
      problems({
        gateway: "__proto__:\n  debug: true\n",
        tables: "tables:\n  - name: incident\n    columns:\n      __proto__: {type: string}\n",
      }),
      ["gateway.yaml:1: __proto__: key __proto__ is not allowed", "tables.yaml:4: tables[0].columns.__proto__: key __proto__ is not allowed"],
    );
  });

  test("a file whose top level is not a mapping", () => {
    assert.deepEqual(problems({ acls: "- table: incident\n  operation: read\n" }), [
      "acls.yaml:1: (root): expected mapping, got list",
    ]);
  });

  test("two users with the same email (ambiguous for user_field: email) are refused", () => {
    assert.deepEqual(
      problems({ users: "users:\n  - {user_name: a, email: X@example.test}\n  - {user_name: b, email: x@example.test}\n" }),
      ["users.yaml:3: users[1].email: duplicate email \"x@example.test\" (also users[0])"],
    );
  });
});

describe("configuration references across files", () => {
  let certDir: string;
  let partner: TestCertificate;

  before(() => {
    certDir = mkdtempSync(join(tmpdir(), "wss-gateway-config-certs-"));
    partner = makeCertificate(certDir, "partner", { key: "rsa2048" });
  });

  const x509Profile = (name: string, certificate: string, runAs = "alice", extra = "") =>
    `  - name: ${name}\n    type: x509\n    run_as_user: ${runAs}\n    certificate: ${certificate}\n${extra}`;

  test("a policy naming a missing profile; default_policy naming a missing policy", () => {
    assert.deepEqual(
      problems({
        gateway: "ws_security:\n  required: true\n  default_policy: Main\n",
        profiles: "profiles:\n  - {name: Creds, type: username, action: authenticate_with_user, user_field: user_name}\n",
        policies: "policies:\n  - name: Other\n    type: inbound\n    profiles:\n      - Creds\n      - Ghost\n",
      }),
      [
        "gateway.yaml:3: ws_security.default_policy: policy \"Main\" is not in policies.yaml",
        "policies.yaml:6: policies[0].profiles[1]: profile \"Ghost\" is not in profiles.yaml",
      ],
    );
  });

  test("default_policy left at its default names a missing policy → reported on the ws_security line", () => {
    assert.deepEqual(
      problems({ gateway: "ws_security:\n  required: true\n", policies: "policies:\n  - {name: Mine, type: inbound}\n" }),
      ["gateway.yaml:1: ws_security.default_policy: policy \"Default Security Policy\" is not in policies.yaml"],
    );
  });

  test("with no policies at all, the default_policy name is not checked (all active profiles are evaluated)", () => {
    assert.deepEqual(problems({ gateway: "ws_security:\n  default_policy: Anything\n" }), []);
  });

  test("a profile naming a missing run_as_user", () => {
    assert.deepEqual(
      problems({ profiles: `profiles:\n${x509Profile("X", "partner.pem", "mallory")}` }, { "partner.pem": partner.certPem }),
      ["profiles.yaml:4: profiles[0].run_as_user: user \"mallory\" is not in users.yaml"],
    );
  });

  test("a profile certificate that is missing, unreadable or not a certificate", () => {
    assert.deepEqual(
      problems(
        {
          profiles: [
            "profiles:",
            x509Profile("Missing", "certs/absent.pem"),
            x509Profile("Directory", "certs"),
            x509Profile("Key", "certs/partner.key"),
            x509Profile("Ca", "certs/partner.pem", "alice", "    ca_certificates: [certs/garbage.pem]\n"),
          ].join("\n"),
        },
        { "certs/partner.pem": partner.certPem, "certs/partner.key": partner.keyPem, "certs/garbage.pem": "hello\n" },
      ),
      [
        "profiles.yaml:5: profiles[0].certificate: certs/absent.pem: certificate file does not exist",
        "profiles.yaml:10: profiles[1].certificate: certs: certificate file cannot be read (EISDIR)",
        "profiles.yaml:15: profiles[2].certificate: certs/partner.key: not an X.509 certificate (no CERTIFICATE block)",
        "profiles.yaml:21: profiles[3].ca_certificates[0]: certs/garbage.pem: not an X.509 certificate",
      ],
    );
  });

  test("certificate paths are relative to the configuration directory and parsed once", () => {
    const dir = makeConfigDir(
      {
        profiles: ["profiles:", x509Profile("A", "certs/partner.pem"), x509Profile("B", "./certs/../certs/partner.pem")].join("\n"),
        users: "users:\n  - user_name: alice\n    client_certificates: [certs/partner.pem]\n",
      },
      { "certs/partner.pem": partner.certPem },
    );
    const config = loadConfig(dir, { env: noEnv });
    const [a, b] = config.profiles as X509Profile[];
    assert.equal(a!.certificates[0]!.path, join(dir, "certs/partner.pem"));
    assert.equal(a!.certificates[0], b!.certificates[0]);
    assert.deepEqual([...config.certificates.keys()], [join(dir, "certs/partner.pem")]);
  });

  test("client_certificates on a user become SHA-256 fingerprints (as openssl computes them)", () => {
    const config = loadConfig(
      makeConfigDir({ users: "users:\n  - user_name: alice\n    client_certificates: [partner.pem]\n" }, { "partner.pem": partner.certPem }),
      { env: noEnv },
    );
    const opensslFingerprint = execFileSync("openssl", ["x509", "-in", partner.certPath, "-noout", "-fingerprint", "-sha256"], {
      encoding: "utf8",
    })
      .trim()
      .split("=")[1]!
      .replace(/:/g, "")
      .toLowerCase();
    assert.deepEqual(config.users.get("alice")!.clientCertificateFingerprints, [opensslFingerprint]);
  });

  test("a missing client certificate is a problem", () => {
    assert.deepEqual(problems({ users: "users:\n  - user_name: alice\n    client_certificates:\n      - nope.pem\n" }), [
      "users.yaml:4: users[0].client_certificates[0]: nope.pem: certificate file does not exist",
    ]);
  });

  test("ACLs: unknown table, unknown field, unknown role; '*' and roles granted to users are fine", () => {
    assert.deepEqual(
      problems({
        acls: [
          "acls:",
          "  - {table: problem, operation: read}",
          "  - {table: incident, field: severity, operation: read}",
          "  - {table: incident, operation: read, roles: [soap_query, itil, wizard]}",
          "  - {table: '*', field: '*', operation: read, roles: [admin]}",
          "  - {table: '*', field: nowhere, operation: read}",
          "  - {table: incident, field: sys_created_by, operation: read}",
          "  - {table: '*', field: priority, operation: write}",
          "",
        ].join("\n"),
      }),
      [
        "acls.yaml:2: acls[0].table: table \"problem\" is not in tables.yaml",
        "acls.yaml:3: acls[1].field: field \"severity\" is not a column of table \"incident\"",
        "acls.yaml:4: acls[2].roles[2]: role \"wizard\" is neither a SOAP role nor granted to any user",
        "acls.yaml:6: acls[4].field: field \"nowhere\" is not a column of any table",
      ],
    );
  });

  test("ACL rules carry their acls.yaml line as source", () => {
    const config = loadConfig(
      makeConfigDir({ acls: "# comment\nacls:\n  - table: incident\n    operation: read\n\n  - table: '*'\n    operation: write\n    active: false\n" }),
      { env: noEnv },
    );
    assert.deepEqual(
      config.acls.map((rule) => [rule.source, rule.table, rule.field, rule.operation, rule.roles, rule.active]),
      [
        ["acls.yaml:3", "incident", undefined, "read", [], true],
        ["acls.yaml:6", "*", undefined, "write", [], false],
      ],
    );
  });
});

describe("profile shapes", () => {
  test("specify_user without username, password and run_as_user", () => {
    assert.deepEqual(problems({ profiles: "profiles:\n  - name: S\n    type: username\n    action: specify_user\n" }), [
      "profiles.yaml:2: profiles[0].username: required field is missing",
      "profiles.yaml:2: profiles[0].password: required field is missing",
      "profiles.yaml:2: profiles[0].run_as_user: required field is missing",
    ]);
  });

  test("authenticate_with_user without user_field", () => {
    assert.deepEqual(problems({ profiles: "profiles:\n  - name: A\n    type: username\n    action: authenticate_with_user\n" }), [
      "profiles.yaml:2: profiles[0].user_field: required field is missing",
    ]);
  });

  test("username profile without action", () => {
    assert.deepEqual(problems({ profiles: "profiles:\n  - name: A\n    type: username\n" }), [
      "profiles.yaml:2: profiles[0].action: required field is missing; must be one of authenticate_with_user, specify_user",
    ]);
  });

  test("x509 profile without certificate and run_as_user", () => {
    assert.deepEqual(problems({ profiles: "profiles:\n  - name: X\n    type: x509\n" }), [
      "profiles.yaml:2: profiles[0].certificate: required field is missing (or certificates: [old.pem, new.pem] during a rotation)",
      "profiles.yaml:2: profiles[0].run_as_user: required field is missing",
    ]);
  });

  test("profile defaults, and profiles sorted by order (stable for equal orders)", () => {
    const config = loadConfig(
      makeConfigDir(
        {
          profiles: [
            "profiles:",
            "  - {name: Late, type: username, action: authenticate_with_user, user_field: user_name, order: 300}",
            "  - {name: DefaultOrderA, type: username, action: authenticate_with_user, user_field: email}",
            "  - {name: Early, type: username, action: specify_user, username: u, password: p, run_as_user: alice, order: 5}",
            "  - {name: DefaultOrderB, type: x509, certificate: c.pem, run_as_user: bob}",
            "",
          ].join("\n"),
        },
        { "c.pem": readFileSync(join(repoRoot, "certs/demo-partner.pem")) },
      ),
      { env: noEnv },
    );
    assert.deepEqual(
      config.profiles.map((p) => [p.name, p.order, p.active, p.bindSession]),
      [
        ["Early", 5, true, false],
        ["DefaultOrderA", 100, true, false],
        ["DefaultOrderB", 100, true, false],
        ["Late", 300, true, false],
      ],
    );
    const x509 = config.profiles[2] as X509Profile;
    assert.equal(x509.checkValidity, true);
    assert.deepEqual(x509.caCertificates, []);
  });
});

describe("secrets: literal, {env}, {file}", () => {
  const specifyUser = (password: string) =>
    `profiles:\n  - name: S\n    type: username\n    action: specify_user\n    username: partner\n    password: ${password}\n    run_as_user: alice\n`;

  test("{env: NAME} and {file: PATH} resolve; one trailing newline is dropped from a file", () => {
    const env = { PARTNER_WSS_PASSWORD: "from-env" };
    const fromEnv = loadConfig(makeConfigDir({ profiles: specifyUser("{env: PARTNER_WSS_PASSWORD}") }), { env });
    assert.deepEqual(fromEnv.profiles.map((p) => p.kind === "username" && p.action === "specify_user" && p.password), ["from-env"]);
    const fromFile = loadConfig(
      makeConfigDir({ profiles: specifyUser("{file: secrets/partner.txt}") }, { "secrets/partner.txt": "from-file\n\n" }),
      { env: noEnv },
    );
    assert.deepEqual(fromFile.profiles.map((p) => p.kind === "username" && p.action === "specify_user" && p.password), ["from-file\n"]);
  });

  test("{env: X} with X unset, {file: P} missing, an empty secret, a malformed secret form", () => {
    assert.deepEqual(problems({ profiles: specifyUser("{env: PARTNER_WSS_PASSWORD}") }), [
      "profiles.yaml:6: profiles[0].password: environment variable PARTNER_WSS_PASSWORD is not set",
    ]);
    assert.deepEqual(problems({ profiles: specifyUser("{file: missing.txt}") }), [
      "profiles.yaml:6: profiles[0].password: secret file missing.txt does not exist",
    ]);
    assert.deepEqual(problems({ profiles: specifyUser("{file: empty.txt}") }, { "empty.txt": "\n" }), [
      "profiles.yaml:6: profiles[0].password: secret file empty.txt is empty",
    ]);
    assert.deepEqual(problems({ profiles: specifyUser("{env: EMPTY}") }, {}, { EMPTY: "" }), [
      "profiles.yaml:6: profiles[0].password: environment variable EMPTY is empty",
    ]);
    assert.deepEqual(problems({ profiles: specifyUser("{vault: partner}") }), [
      "profiles.yaml:6: profiles[0].password: must be a string, {env: NAME} or {file: PATH}",
    ]);
  });

  test("a specify_user password must be recoverable, not a $scrypt$ hash", () => {
    assert.deepEqual(problems({ profiles: specifyUser(`"${SCRYPT_HASH_OF_S3CRET}"`) }), [
      "profiles.yaml:6: profiles[0].password: a specify_user password must be recoverable (literal, env or file), not a $scrypt$ hash",
    ]);
  });

  test("problems never quote the secret value", () => {
    const printed = problems({ profiles: specifyUser("{file: empty.txt}"), users: "users:\n  - user_name: alice\n    password: \"$scrypt$hunter2\"\n" }, { "empty.txt": "" });
    assert.equal(printed.length, 2);
    for (const line of printed) assert.doesNotMatch(line, /hunter2/);
  });
});

describe("user passwords", () => {
  test("hash → scrypt-hash, literal/env/file → recoverable, absent → none", () => {
    const config = loadConfig(
      makeConfigDir(
        {
          users: [
            "users:",
            `  - {user_name: hashed, password: "${SCRYPT_HASH_OF_S3CRET}"}`,
            "  - {user_name: literal, password: s3cret}",
            "  - {user_name: env, password: {env: USER_PW}}",
            "  - {user_name: file, password: {file: pw.txt}}",
            "  - {user_name: hashfile, password: {file: hash.txt}}",
            "  - {user_name: nopassword, active: false, internal_integration_user: true}",
            "",
          ].join("\n"),
        },
        { "pw.txt": "file-pw\n", "hash.txt": `${SCRYPT_HASH_OF_S3CRET}\n` },
      ),
      { env: { USER_PW: "env-pw" } },
    );
    const byName = (name: string) => config.users.get(name)!;
    assert.deepEqual(byName("hashed").password, { kind: "scrypt-hash", hash: SCRYPT_HASH_OF_S3CRET });
    assert.deepEqual(byName("literal").password, { kind: "recoverable", value: "s3cret" });
    assert.deepEqual(byName("env").password, { kind: "recoverable", value: "env-pw" });
    assert.deepEqual(byName("file").password, { kind: "recoverable", value: "file-pw" });
    assert.deepEqual(byName("hashfile").password, { kind: "scrypt-hash", hash: SCRYPT_HASH_OF_S3CRET });
    assert.deepEqual(byName("nopassword"), {
      userName: "nopassword",
      email: undefined,
      password: { kind: "none" },
      roles: [],
      internalIntegrationUser: true,
      active: false,
      clientCertificateFingerprints: [],
    });
    assert.deepEqual(byName("literal").roles, []);
    assert.equal(byName("literal").active, true);
    assert.equal(byName("literal").internalIntegrationUser, false);
  });

  test("a malformed $scrypt$ hash is a problem", () => {
    assert.deepEqual(problems({ users: "users:\n  - user_name: alice\n    password: \"$scrypt$ln=15$short\"\n" }), [
      "users.yaml:3: users[0].password: malformed $scrypt$ hash (expected the output of wss-gateway hash-password)",
    ]);
  });
});

describe("tables and limits", () => {
  test("table and column names must be safe SQL identifiers, not system columns, not __ parameters", () => {
    assert.deepEqual(
      problems({
        tables: [
          "tables:",
          "  - name: Incident",
          "    columns: {number: {type: string}}",
          "  - name: incident",
          "    columns:",
          "      sys_id: {type: string}",
          "      sys_updated_by: {type: string}",
          "      __encoded_query: {type: string}",
          "      \"drop table\": {type: string}",
          "      1st: {type: integer}",
          "  - name: __limit",
          "    columns: {}",
          "",
        ].join("\n"),
        acls: "acls: []\n",
      }),
      [
        "tables.yaml:2: tables[0].name: table name \"Incident\" is not a safe identifier (^[a-z_][a-z0-9_]{0,62}$)",
        "tables.yaml:6: tables[1].columns.sys_id: column name \"sys_id\" is a system column",
        "tables.yaml:7: tables[1].columns.sys_updated_by: column name \"sys_updated_by\" is a system column",
        "tables.yaml:8: tables[1].columns.__encoded_query: column name \"__encoded_query\" is reserved (names starting with __ are operation parameters)",
        "tables.yaml:9: tables[1].columns.drop table: column name \"drop table\" is not a safe identifier (^[a-z_][a-z0-9_]{0,62}$)",
        "tables.yaml:10: tables[1].columns.1st: column name \"1st\" is not a safe identifier (^[a-z_][a-z0-9_]{0,62}$)",
        "tables.yaml:11: tables[2].name: table name \"__limit\" is reserved (names starting with __ are operation parameters)",
      ],
    );
  });

  test("a 64-character name is too long; 63 is fine", () => {
    const name63 = `t${"a".repeat(62)}`;
    assert.deepEqual(problems({ tables: `tables:\n  - name: ${name63}\n    columns: {}\n`, acls: "acls: []\n" }), []);
    assert.deepEqual(problems({ tables: `tables:\n  - name: ${name63}a\n    columns: {}\n`, acls: "acls: []\n" }), [
      `tables.yaml:2: tables[0].name: table name "${name63}a" is not a safe identifier (^[a-z_][a-z0-9_]{0,62}$)`,
    ]);
  });

  test("max_length only on strings, and positive", () => {
    assert.deepEqual(
      problems({
        tables: [
          "tables:",
          "  - name: incident",
          "    columns:",
          "      priority: {type: integer, max_length: 4}",
          "      number: {type: string, max_length: 0}",
          "      notes: {type: string, max_length: 2.5}",
          "",
        ].join("\n"),
        acls: "acls: []\n",
      }),
      [
        "tables.yaml:4: tables[0].columns.priority.max_length: max_length is only allowed on string columns",
        "tables.yaml:5: tables[0].columns.number.max_length: must be a positive integer",
        "tables.yaml:6: tables[0].columns.notes.max_length: must be an integer",
      ],
    );
  });

  test("limits and throttle must be positive integers", () => {
    assert.deepEqual(
      problems({
        gateway: [
          "limits:",
          "  max_body_bytes: 0",
          "  max_xml_depth: -3",
          "  max_xml_elements: 1.5",
          "  max_attributes_per_element: 64",
          "throttle:",
          "  max_failures: 0",
          "  window_seconds: \"60\"",
          "  cooldown_seconds: 60",
          "ws_security:",
          "  clock_skew_seconds: -1",
          "  min_rsa_key_bits: 0",
          "",
        ].join("\n"),
      }),
      [
        "gateway.yaml:2: limits.max_body_bytes: must be a positive integer",
        "gateway.yaml:3: limits.max_xml_depth: must be a positive integer",
        "gateway.yaml:4: limits.max_xml_elements: must be an integer",
        "gateway.yaml:7: throttle.max_failures: must be a positive integer",
        "gateway.yaml:8: throttle.window_seconds: expected number, got string",
        "gateway.yaml:11: ws_security.clock_skew_seconds: must be 0 or more",
        "gateway.yaml:12: ws_security.min_rsa_key_bits: must be a positive integer",
      ],
    );
  });
});

describe("check-config and hash-password commands", () => {
  function capture() {
    let text = "";
    return { write: (chunk: string) => (text += chunk), text: () => text };
  }

  test("check-config on a broken directory prints file:line: field: message and exits 1", async () => {
    const dir = makeConfigDir({ profiles: "profiles:\n  - name: X\n    type: x509\n    run_as_user: alice\n    bind_session: true\n    certificate: none.pem\n" });
    const stdout = capture();
    const stderr = capture();
    const exitCode = await runCheckConfig([dir], { stdout, stderr, env: noEnv });
    assert.equal(exitCode, 1);
    assert.equal(stdout.text(), "profiles.yaml:6: profiles[0].certificate: none.pem: certificate file does not exist\n");
    assert.equal(stderr.text(), `${dir}: 1 problem\n`);
  });

  test("check-config on the demo configuration (via WSS_GATEWAY_CONFIG) prints OK and exits 0", async () => {
    const stdout = capture();
    const stderr = capture();
    const dir = join(repoRoot, "policies");
    const exitCode = await runCheckConfig([], { stdout, stderr, env: { WSS_GATEWAY_CONFIG: dir } });
    assert.equal(exitCode, 0);
    assert.equal(stdout.text(), `${dir}: OK (3 profiles, 1 policy, 4 users, 13 ACL rules, 3 tables, 1 certificate)\n`);
    assert.equal(stderr.text(), "");
  });

  test("hash-password prints a $scrypt$ hash of stdin without its trailing newline", async () => {
    const stdout = capture();
    const stderr = capture();
    const exitCode = await runHashPassword([], { stdin: Readable.from([Buffer.from("correct horse\n")]), stdout, stderr });
    assert.equal(exitCode, 0);
    assert.equal(stderr.text(), "");
    const hash = stdout.text().trimEnd();
    assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.equal(await verifyScryptHash("correct horse", hash), true);
    assert.equal(await verifyScryptHash("correct horse\n", hash), false);
  });

  test("hash-password refuses an empty password", async () => {
    const stdout = capture();
    const stderr = capture();
    const exitCode = await runHashPassword([], { stdin: Readable.from([Buffer.from("\n")]), stdout, stderr });
    assert.equal(exitCode, 1);
    assert.equal(stdout.text(), "");
    assert.equal(stderr.text(), "hash-password: refusing an empty password\n");
  });
});
