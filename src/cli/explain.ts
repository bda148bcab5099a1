/**
 * `wss-gateway explain [--config DIR] --user NAME [--password P | --digest-token T [--de-time S]] [--at TIME] [--table T] [--policy NAME] FILE`:
 * runs the decision of SPEC §5 on a saved SOAP request, with the very stage
 * functions the server uses (src/pipeline/), and prints each step: XML
 * safety, Basic auth, the policy and each WS-Security profile, the session
 * user, the operation, and the role/ACL check. The operation itself is not
 * run: the store is never opened.
 *
 * Nonces and signature values are checked against a fresh in-memory replay
 * cache, never the deployment's shared one: explaining a request must not
 * spend its nonce. `--at` evaluates timestamps at another instant (saved
 * requests age). `--table` names the table of the URL the request would be
 * posted to; by default it is the one the operation's namespace names.
 * `--policy` evaluates that inbound policy instead of `default_policy`, for
 * every user (internal integration users and `ws_security.required: false`
 * included): what the request would meet if that policy were enforced, the
 * question a shadow policy answers on live traffic.
 *
 * Exit status: 0 the request would be admitted, 1 it would be refused,
 * 2 usage error, 3 the configuration or the file cannot be read.
 */
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { CredentialCache } from "../auth/credential-cache.js";
import { ManualClock, systemClock, type Clock } from "../clock.js";
import { evaluateConfig } from "../config/load.js";
import { formatConfigProblem, type GatewayConfig } from "../config/types.js";
import type { BasicUser } from "../http/state.js";
import { authorizeRequest } from "../pipeline/authorize.js";
import { authenticateBasic, type SignOn } from "../pipeline/basic-auth.js";
import { DIGEST_TOKEN_TIME_NAME } from "../auth/digest-token.js";
import { readDigestTokenAttempt } from "../pipeline/digest-token-sign-on.js";
import { resolveSessionUser } from "../pipeline/session-user.js";
import { selectOperation } from "../pipeline/select-operation.js";
import { checkNamedPolicy, checkWsSecurity } from "../pipeline/ws-security.js";
import { openReplayCache } from "../replay/open.js";
import { checkOnlyReplayGuard } from "../replay/guard.js";
import { readEnvelope, type SoapEnvelope } from "../soap/envelope.js";
import { elementChildren } from "../xml/navigate.js";
import { FAULTS, faultString, type FaultId, type FaultParams } from "../soap/faults.js";
import { checkMustUnderstand } from "../soap/header-blocks.js";
import { xmlParser } from "../xml/parse.js";
import { tableNamespace } from "../xml/ns.js";
import type { ProfileOutcome, WssDecision } from "../wss/types.js";
import { USAGE_ERROR, type CommandIo } from "./io.js";

const USAGE =
  "usage: wss-gateway explain [--config DIR] --user NAME [--password P | --digest-token TOKEN [--de-time SECONDS]] [--at TIME] [--table T] [--policy NAME] FILE\n" +
  "  --digest-token signs on as --user with a DE_USER token (and DE_TIME) instead of Basic credentials\n";

export const EXPLAIN_ADMITTED = 0;
export const EXPLAIN_REFUSED = 1;
export const EXPLAIN_UNREADABLE = 3;

/** How the server would answer, as explain reports it. */
type Verdict =
  | { readonly kind: "admitted"; readonly operation: string; readonly table: string; readonly sessionUser: string }
  | { readonly kind: "http-error"; readonly status: number }
  | { readonly kind: "soap-fault"; readonly fault: FaultId; readonly params?: FaultParams };

export async function runExplain(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        user: { type: "string" },
        password: { type: "string" },
        "digest-token": { type: "string" },
        "de-time": { type: "string" },
        help: { type: "boolean", short: "h" },
        at: { type: "string" },
        table: { type: "string" },
        policy: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`explain: ${(error as Error).message}\n${USAGE}`);
    return USAGE_ERROR;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if ((values["digest-token"] !== undefined && values.password !== undefined) || (values["de-time"] !== undefined && values["digest-token"] === undefined)) {
    io.stderr.write(`explain: --digest-token replaces --password, and --de-time needs --digest-token\n${USAGE}`);
    return USAGE_ERROR;
  }
  if (values.user === undefined || values.user === "" || positionals.length !== 1) {
    io.stderr.write(USAGE);
    return USAGE_ERROR;
  }
  let clock: Clock = systemClock;
  if (values.at !== undefined) {
    const at = new Date(values.at);
    if (Number.isNaN(at.getTime())) {
      io.stderr.write(`explain: --at: not a date: ${values.at}\n`);
      return USAGE_ERROR;
    }
    clock = new ManualClock(at);
  }

  const configDir = values.config ?? process.env.WSS_GATEWAY_CONFIG ?? "policies";
  const evaluation = evaluateConfig(configDir);
  if (evaluation.kind === "invalid") {
    io.stderr.write(`explain: the configuration in ${configDir} is invalid:\n`);
    for (const problem of evaluation.problems) io.stderr.write(`${formatConfigProblem(problem)}\n`);
    return EXPLAIN_UNREADABLE;
  }
  const config = evaluation.config;
  if (values.policy !== undefined) {
    const named = config.policies.find((policy) => policy.name === values.policy);
    if (named?.type !== "inbound") {
      io.stderr.write(`explain: --policy: ${named ? `"${values.policy}" is an outbound policy` : `no policy named "${values.policy}" in policies.yaml`}\n`);
      return USAGE_ERROR;
    }
  }
  const file = positionals[0]!;
  let request: RequestFile;
  try {
    request = readRequestFile(file, config.gateway.limits.maxBodyBytes);
  } catch (error) {
    io.stderr.write(`explain: ${(error as Error).message}\n`);
    return EXPLAIN_UNREADABLE;
  }

  const print = (line: string) => io.stdout.write(`${line}\n`);
  print(`configuration: ${config.dir}`);
  let verdict: Verdict;
  if (request.kind === "too-large") {
    print(`request: ${file} (${request.sizeBytes} bytes)`);
    print(`intake: refused: the body is over max_body_bytes ${config.gateway.limits.maxBodyBytes}`);
    verdict = { kind: "http-error", status: 413 };
  } else {
    print(`request: ${file} (${request.bytes.length} bytes)`);
    verdict = await explainRequest({
      config,
      bytes: request.bytes,
      table: values.table,
      userName: values.user,
      password: values.password,
      policy: values.policy,
      digestToken: values["digest-token"],
      deTime: values["de-time"],
      clock,
      print,
    });
  }
  print(`result: ${describeVerdict(verdict)}`);
  return verdict.kind === "admitted" ? EXPLAIN_ADMITTED : EXPLAIN_REFUSED;
}

type RequestFile = { readonly kind: "bytes"; readonly bytes: Buffer } | { readonly kind: "too-large"; readonly sizeBytes: number };

/** Like the server's intake, a body over max_body_bytes is not read at all. */
function readRequestFile(file: string, maxBodyBytes: number): RequestFile {
  try {
    const sizeBytes = statSync(file).size;
    if (sizeBytes > maxBodyBytes) return { kind: "too-large", sizeBytes };
    return { kind: "bytes", bytes: readFileSync(file) };
  } catch {
    throw new Error(`cannot read ${file}`);
  }
}

interface ExplainInput {
  readonly config: GatewayConfig;
  readonly bytes: Buffer;
  /** The table of the URL the request would be posted to; by default the one the operation's namespace names. */
  readonly table: string | undefined;
  readonly userName: string;
  readonly password: string | undefined;
  /** --policy: this inbound policy instead of default_policy, for every user. */
  readonly policy: string | undefined;
  readonly digestToken: string | undefined;
  readonly deTime: string | undefined;
  readonly clock: Clock;
  readonly print: (line: string) => void;
}

/** The stages of src/http/app.ts from intake to authorization, narrated; the operation is not run. */
async function explainRequest(input: ExplainInput): Promise<Verdict> {
  const { config, bytes, print } = input;
  const envelope = parseEnvelope(config, bytes);
  if (envelope.kind === "malformed") {
    print(`1. XML safety and envelope: refused: ${envelope.reason}`);
    return { kind: "soap-fault", fault: "malformed" };
  }
  const headers = checkMustUnderstand(envelope.envelope);
  if (headers.kind === "malformed") {
    print(`1. XML safety and envelope: refused: ${headers.reason}`);
    return { kind: "soap-fault", fault: "malformed" };
  }
  if (headers.kind === "not-understood") {
    print(`1. XML safety and envelope: refused: header ${headers.header.qname} must be understood and the gateway does not process it`);
    return { kind: "soap-fault", fault: "mustUnderstand", params: { header: headers.header } };
  }
  print(`1. XML safety and envelope: SOAP ${envelope.envelope.version} envelope, ok`);
  const table = input.table ?? tableOfRequest(config, envelope.envelope);
  if (table === undefined || !config.tables.has(table)) {
    const why = table === undefined ? "the operation's namespace names no published table (try --table)" : `${table} is not published`;
    print(`   table: ${why}: the server would answer 404`);
    return { kind: "http-error", status: 404 };
  }
  print(input.table === undefined ? `   table: ${table} (named by the operation's namespace)` : `   table: ${table} (--table)`);

  const basic = await authenticate(input);
  if (basic.kind === "refused") {
    print(`2. Basic auth: refused: ${basic.reason}`);
    return { kind: "http-error", status: 401 };
  }
  print(`2. Basic auth: ${basic.detail}`);
  print(`   sign-on: ${basic.signOn}`);

  const replayCache = await openReplayCache("memory", input.clock);
  let decision: WssDecision;
  try {
    // A fresh cache, claimed check-only: explain records nothing and sees no earlier request.
    const wssInput = { config, envelope: envelope.envelope, basicUser: basic.user, clock: input.clock, replay: checkOnlyReplayGuard(replayCache) };
    if (input.policy !== undefined) print(`   --policy "${input.policy}": evaluated instead of default_policy, for every user (internal integration users and ws_security.required: false included)`);
    decision = input.policy === undefined ? await checkWsSecurity(wssInput) : await checkNamedPolicy(wssInput, input.policy);
  } finally {
    await replayCache.close();
  }
  printWsSecurity(decision, print);
  if (decision.kind === "refused") return { kind: "soap-fault", fault: decision.fault };

  const session = resolveSessionUser(config, basic.user, decision);
  if (session.kind === "refused") {
    print(`5. session user: refused: ${session.reason}`);
    return { kind: "soap-fault", fault: "authenticationFailed" };
  }
  const bound = decision.kind === "admitted" && decision.sessionUser !== undefined ? " (bound by WS-Security)" : " (the basic user)";
  print(`5. session user: ${session.user.userName}${bound}`);

  const selected = selectOperation(envelope.envelope, table);
  if (selected.kind === "refused") {
    print(`   operation: refused: ${selected.fault.message}`);
    return { kind: "soap-fault", fault: selected.fault.id, params: { detail: selected.fault.message } };
  }
  print(`   operation: ${selected.name} on ${table}`);

  const authorization = authorizeRequest(config, session.user, table, selected.name);
  print(`6. roles and ACLs: ${authorization.kind}`);
  for (const step of authorization.steps) print(`   - ${step}`);
  if (authorization.kind === "refused") {
    return { kind: "soap-fault", fault: "insufficientRights", params: { operation: selected.name, table } };
  }
  print("7. operation: not run (explain never opens the store)");
  return { kind: "admitted", operation: selected.name, table, sessionUser: session.user.userName };
}

type EnvelopeParse = { readonly kind: "envelope"; readonly envelope: SoapEnvelope } | { readonly kind: "malformed"; readonly reason: string };

/**
 * The parse of src/pipeline/parse-envelope.ts without its Content-Type
 * check: a saved file has no Content-Type, so the envelope names its version.
 */
function parseEnvelope(config: GatewayConfig, bytes: Buffer): EnvelopeParse {
  const parsed = xmlParser.parse(bytes, config.gateway.limits);
  if (parsed.kind === "refused") return { kind: "malformed", reason: parsed.reason };
  return readEnvelope(parsed.document);
}

/** The table the request is for: the server takes it from the URL, a saved envelope names it in the operation's namespace. */
function tableOfRequest(config: GatewayConfig, envelope: SoapEnvelope): string | undefined {
  const namespace = elementChildren(envelope.body)[0]?.namespaceURI;
  return [...config.tables.keys()].find((table) => tableNamespace(table) === namespace);
}

type Authentication =
  | { readonly kind: "authenticated"; readonly user: BasicUser; readonly detail: string; readonly signOn: SignOn }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * With --password, the server's Basic auth stage runs on the header a client
 * would send. Without it, the password is not checked (explain is run by
 * someone who can read the configuration) but the account must exist and be
 * active, as Basic auth would require; `guest` stands for a request without
 * credentials.
 */
async function authenticate(input: ExplainInput): Promise<Authentication> {
  const { config, userName, password } = input;
  const cache = new CredentialCache(input.clock);
  if (input.digestToken !== undefined) {
    const settings = config.digestToken;
    if (settings === undefined) return { kind: "refused", reason: "digest_token is not configured in gateway.yaml" };
    const headers = {
      [settings.userHeader.toLowerCase()]: userName,
      [settings.tokenHeader.toLowerCase()]: input.digestToken,
      ...(input.deTime !== undefined ? { [DIGEST_TOKEN_TIME_NAME.toLowerCase()]: input.deTime } : {}),
    };
    const attempt = readDigestTokenAttempt(config, { headers, query: {} }, input.clock);
    const result = await authenticateBasic(config, undefined, cache, undefined, attempt);
    if (result.kind === "refused") return { kind: "refused", reason: `digest token: ${result.reason}` };
    return { kind: "authenticated", user: result.user, signOn: result.signOn, detail: `${result.user.userName} authenticated by digest token (${settings.algorithm}, checked)` };
  }
  if (password !== undefined) {
    const header = `Basic ${Buffer.from(`${userName}:${password}`, "utf8").toString("base64")}`;
    const result = await authenticateBasic(config, header, cache);
    if (result.kind === "refused") return { kind: "refused", reason: "wrong credentials, or unknown or inactive user" };
    return { kind: "authenticated", user: result.user, signOn: result.signOn, detail: `${result.user.userName} authenticated (password checked)` };
  }
  if (userName === "guest") {
    const result = await authenticateBasic(config, undefined, cache);
    if (result.kind === "refused") return { kind: "refused", reason: "no credentials, and basic_auth.required is true" };
    const account = result.user.account ? "with its users.yaml account" : "without an account";
    return { kind: "authenticated", user: result.user, signOn: result.signOn, detail: `no credentials: guest, ${account}` };
  }
  const account = config.users.get(userName);
  if (account === undefined) return { kind: "refused", reason: `unknown user ${userName}` };
  if (!account.active) return { kind: "refused", reason: `user ${userName} is inactive` };
  return { kind: "authenticated", user: { userName, account }, signOn: "basic", detail: `${userName} (password not checked: no --password)` };
}

function printWsSecurity(decision: WssDecision, print: (line: string) => void): void {
  switch (decision.kind) {
    case "bypassed":
      print(
        decision.reason === "not-required"
          ? "4. WS-Security: not required (ws_security.required is false)"
          : "4. WS-Security: skipped: the basic user is an internal integration user",
      );
      return;
    case "admitted":
    case "refused": {
      print(`4. WS-Security: ${decision.kind}, policy ${decision.policy === undefined ? "(none defined)" : `"${decision.policy}"`}`);
      for (const step of decision.steps) print(`   - ${step}`);
      for (const profile of decision.profiles) print(`   profile ${describeProfile(profile)}`);
      return;
    }
    default: {
      const unreachable: never = decision;
      throw new Error(`unexpected WS-Security decision ${String(unreachable)}`);
    }
  }
}

function describeProfile(profile: ProfileOutcome): string {
  const head = `"${profile.profile}" (${profile.profileType})`;
  return profile.kind === "passed"
    ? `${head}: passed as ${profile.user}: ${profile.reason}`
    : `${head}: failed (${faultString(profile.fault)}): ${profile.reason}`;
}

function describeVerdict(verdict: Verdict): string {
  switch (verdict.kind) {
    case "admitted":
      return `admitted: ${verdict.operation} on ${verdict.table} would run as ${verdict.sessionUser}`;
    case "http-error":
      return `refused: HTTP ${verdict.status}`;
    case "soap-fault": {
      const definition = FAULTS[verdict.fault];
      return `refused: HTTP ${definition.http} SOAP fault ${definition.code} "${faultString(verdict.fault, verdict.params)}"`;
    }
    default: {
      const unreachable: never = verdict;
      return unreachable;
    }
  }
}
