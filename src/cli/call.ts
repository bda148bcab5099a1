/**
 * `wss-gateway call`: the gateway's own client (SPEC §1). Loads the
 * configuration, takes the named outbound policy, and calls one operation of
 * a remote service described by its WSDL (src/outbound/call.ts). Prints the
 * response or the fault with the HTTP status; `--json` prints one object.
 * Exit 0 on a response, 1 on a fault or transport error, 2 on a usage or
 * configuration error (nothing sent).
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { systemClock } from "../clock.js";
import { evaluateConfig } from "../config/load.js";
import { formatConfigProblem } from "../config/types.js";
import { callService, type CallOutcome } from "../outbound/call.js";
import type { Exchange } from "../outbound/transport.js";
import { USAGE_ERROR, type CommandIo } from "./io.js";

export const CALL_USAGE = `usage: wss-gateway call [--config DIR] --policy NAME --url WSDL_URL --table T --operation OP
                        (--data JSON | --file F) [--endpoint URL] [--soap12] [--json] [--insecure]
  --config DIR       configuration directory (default $WSS_GATEWAY_CONFIG, else policies)
  --policy NAME      the outbound policy that secures the request
  --url WSDL_URL     the remote service's WSDL (fetched with the policy's TLS and Basic settings)
  --table T          the table the service publishes
  --operation OP     the operation to call (insert, get, getRecords, ...)
  --data JSON        the operation's fields as a JSON object, e.g. '{"number":"INC1"}'
  --file F           the same JSON read from a file
  --endpoint URL     send to URL instead of the WSDL's address
  --soap12           SOAP 1.2 (default SOAP 1.1)
  --json             print one JSON object: {"status":N,"result":{...}} or {"status":N,"fault":{"code","string"}}
  --insecure         allow plain http:// although the policy holds a private key or a password
exit status: 0 response, 1 fault or transport error, 2 usage or configuration error (nothing sent)
`;

const FAILED = 1;

class UsageError extends Error {}

export interface CallHooks {
  /** Sees every HTTP exchange (tests capture the exact bytes sent). */
  readonly onExchange?: (exchange: Exchange) => void;
}

export async function runCall(argv: string[], io: CommandIo, hooks: CallHooks = {}): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        policy: { type: "string" },
        url: { type: "string" },
        table: { type: "string" },
        operation: { type: "string" },
        data: { type: "string" },
        file: { type: "string" },
        endpoint: { type: "string" },
        soap12: { type: "boolean" },
        json: { type: "boolean" },
        insecure: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
    if (flags.help) {
      io.stdout.write(CALL_USAGE);
      return 0;
    }
    for (const name of ["policy", "url", "table", "operation"] as const) {
      if (!flags[name]) throw new UsageError(`--${name} is required`);
    }
    if ((flags.data === undefined) === (flags.file === undefined)) throw new UsageError("give exactly one of --data and --file");
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS_")) {
      io.stderr.write(`call: ${(error as Error).message}\n${CALL_USAGE}`);
      return USAGE_ERROR;
    }
    throw error;
  }

  const fail = (message: string): number => {
    io.stderr.write(`call: ${message}\n`);
    return USAGE_ERROR;
  };
  let args: Record<string, unknown>;
  try {
    args = parseData(flags.data ?? (await readDataFile(flags.file!)));
  } catch (error) {
    return fail((error as Error).message);
  }
  const configDir = flags.config ?? process.env.WSS_GATEWAY_CONFIG ?? "policies";
  const evaluation = evaluateConfig(configDir);
  if (evaluation.kind === "invalid") {
    return fail(`the configuration in ${configDir} is invalid:\n${evaluation.problems.map(formatConfigProblem).join("\n")}`);
  }
  const config = evaluation.config;
  const policy = config.outboundPolicies.get(flags.policy!);
  if (!policy) {
    const known = config.policies.some((p) => p.name === flags.policy);
    const outbound = [...config.outboundPolicies.keys()].map((n) => JSON.stringify(n)).join(", ") || "none";
    return fail(`${known ? `policy "${flags.policy}" is an inbound policy` : `no policy "${flags.policy}"`} (outbound policies: ${outbound})`);
  }

  const outcome = await callService({
    policy,
    wsdlUrl: flags.url!,
    table: flags.table!,
    operation: flags.operation!,
    args,
    endpoint: flags.endpoint,
    soapVersion: flags.soap12 ? "1.2" : "1.1",
    insecure: flags.insecure ?? false,
    clock: systemClock,
    ...(hooks.onExchange ? { onExchange: hooks.onExchange } : {}),
  });
  if (outcome.kind === "refused") return fail(outcome.message);
  io.stdout.write(flags.json ? `${JSON.stringify(jsonOf(outcome))}\n` : describe(outcome, flags.operation!));
  return outcome.kind === "response" ? 0 : FAILED;
}

function parseData(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("--data / --file: not valid JSON");
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error("--data / --file: expected a JSON object of the operation's fields");
  return data as Record<string, unknown>;
}

async function readDataFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`--file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

type Printed = Exclude<CallOutcome, { kind: "refused" }>;

function jsonOf(outcome: Printed): Record<string, unknown> {
  switch (outcome.kind) {
    case "response":
      return { status: outcome.status, result: outcome.result };
    case "fault":
      return { status: outcome.status, fault: { code: outcome.code, string: outcome.string } };
    case "http-error":
      return { status: outcome.status, fault: { code: "HTTP", string: summarizeBody(outcome.body) } };
    case "transport-error":
      return { status: 0, fault: { code: "transport", string: outcome.message } };
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

function describe(outcome: Printed, operation: string): string {
  switch (outcome.kind) {
    case "response":
      return `HTTP ${outcome.status}: ${operation}Response from ${outcome.endpoint}\n${fields(outcome.result, "  ")}`;
    case "fault":
      return `HTTP ${outcome.status}: SOAP fault from ${outcome.endpoint}\n  code:   ${outcome.code}\n  string: ${outcome.string}\n`;
    case "http-error":
      return `HTTP ${outcome.status} from ${outcome.url} (not a SOAP response)\n  ${summarizeBody(outcome.body)}\n`;
    case "transport-error":
      return `no answer: ${outcome.message}\n`;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/** The result as indented `name: value` lines (nested records indented further). */
function fields(value: unknown, indent: string): string {
  if (value === null || typeof value !== "object") return `${indent}${String(value)}\n`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([name]) => name !== "attributes");
  if (entries.length === 0) return `${indent}(empty)\n`;
  return entries
    .map(([name, item]) => {
      if (Array.isArray(item)) return item.map((element, i) => `${indent}${name}[${i}]:\n${fields(element, `${indent}  `)}`).join("");
      if (item !== null && typeof item === "object") return `${indent}${name}:\n${fields(item, `${indent}  `)}`;
      return `${indent}${name}: ${String(item)}\n`;
    })
    .join("");
}

function summarizeBody(body: string): string {
  const oneLine = body.replace(/\s+/g, " ").trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine || "(empty body)";
}
