/**
 * A gateway with its --metrics-port listener, a shadow policy, hostile names
 * (a user and a profile named with a <script> element) and two certificates
 * (one inside certificate_expiry_warning_days), plus the traffic that fills
 * the admin console: served unsigned requests that the shadow policy would
 * refuse (a normal user and an internal integration user), refused requests
 * (wrong password, a tampered signature from the hostile user, a reader
 * refused by its roles) and a
 * refused reload. Used by the HTTP and the browser tests of the console.
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, type TestGateway } from "./gateway.js";
import { makeCertificate } from "./openssl-certificate.js";

export const HOSTILE_USER = `<script>window.__pwned = "user"</script>`;
export const HOSTILE_PROFILE = `Partner <script>window.__pwned = "profile"</script>`;
export const HOSTILE_ROLE = `<img src=x onerror="window.__pwned='role'">`;
/** Secrets that must appear on no page. */
export const SECRETS = ["alice-literal-password", "shared-secret-value", "mid-password", "admin-password", "hostile-password"];

const DAY_MS = 86_400_000;

export interface AdminFixture {
  readonly gateway: TestGateway;
  readonly adminUrl: string;
  /** SHA-256 fingerprints as the console shows them (AB:CD:…). */
  readonly fingerprints: { readonly partner: string; readonly expiring: string };
}

export async function startAdminFixture(): Promise<AdminFixture> {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-admin-"));
  const partner = makeCertificate(dir, "partner", { key: "rsa2048", subject: "/CN=partner.example/O=Partner" });
  const expiring = makeCertificate(dir, "expiring", { key: "rsa2048", subject: "/CN=expiring.example", notAfter: new Date(Date.now() + 10 * DAY_MS) });
  const gateway = await startTestGateway({
    metricsListener: true,
    files: {
      gateway: `basic_auth:
  required: true
ws_security:
  required: false
  default_policy: Current
  shadow_policy: Signed only
strict_security: true
`,
      users: `users:
  - user_name: admin
    password: admin-password
    roles: [admin]
  - user_name: alice
    email: alice@example.test
    password: alice-literal-password
    roles: [soap, ${JSON.stringify(HOSTILE_ROLE)}]
  - user_name: mid.server
    password: mid-password
    roles: [soap]
    internal_integration_user: true
  - user_name: ${JSON.stringify(HOSTILE_USER)}
    password: hostile-password
    roles: [soap]
  - user_name: reader
    password: reader-password
    roles: [soap_query]
  - user_name: partner.soap
    password: "$scrypt$ln=10,r=8,p=1$KuPLoGNHm5Yqjitxl35ZYw==$LGwqVgx5Ge8rFqJlLOiBnPWyHoYm4TLol77QlMBBLaQ="
    roles: [soap]
`,
      profiles: `profiles:
  - name: ${JSON.stringify(HOSTILE_PROFILE)}
    type: x509
    order: 100
    bind_session: true
    run_as_user: partner.soap
    certificate: partner.pem
  - name: Expiring partner
    type: x509
    order: 150
    active: false
    run_as_user: partner.soap
    certificate: expiring.pem
  - name: Shared secret
    type: username
    order: 300
    action: specify_user
    username: partner
    password: shared-secret-value
    run_as_user: partner.soap
`,
      policies: `policies:
  - name: Current
    type: inbound
    require_signed: false
    authenticate: at_least_one
    profiles: [${JSON.stringify(HOSTILE_PROFILE)}, Shared secret]
  - name: Signed only
    type: inbound
    require_signed: true
    profiles: [${JSON.stringify(HOSTILE_PROFILE)}]
`,
    },
    extra: { "partner.pem": partner.certPem, "expiring.pem": expiring.certPem },
  });
  const adminUrl = `${gateway.metricsUrl}/admin/`;

  const insert = (text: string) => soapEnvelope("incident", "insert", `<short_description>${text}</short_description>`);
  await postSoap(gateway, "incident", insert("from alice"), { authorization: basicAuth("alice", "alice-literal-password") });
  await postSoap(gateway, "incident", insert("from the MID server"), { authorization: basicAuth("mid.server", "mid-password") });
  await postSoap(gateway, "incident", insert("wrong password"), { authorization: basicAuth("alice", "not-her-password") });
  const tampered = signEnvelope(insert("original"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 }).replace("original", "altered");
  await postSoap(gateway, "incident", tampered, { authorization: basicAuth(HOSTILE_USER, "hostile-password") });
  await postSoap(gateway, "incident", insert("a reader may not insert"), { authorization: basicAuth("reader", "reader-password") });
  writeFileSync(join(gateway.configDir, "acls.yaml"), "acls:\n  - table: incident\n    operation: fly\n");
  await gateway.reload("test: broken acls.yaml");
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  return { gateway, adminUrl, fingerprints: { partner: fingerprint(partner.certPem), expiring: fingerprint(expiring.certPem) } };
}

export function adminAuth(user = "admin", password = "admin-password"): string {
  return basicAuth(user, password);
}
