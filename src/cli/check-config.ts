/**
 * `wss-gateway check-config [DIR]`: validates a configuration directory
 * (default $WSS_GATEWAY_CONFIG, else `policies`). Prints every problem as
 * `file:line: field: message` and exits 1, or prints a one-line summary and
 * exits 0.
 */
import { evaluateConfig } from "../config/load.js";
import { formatConfigProblem, type GatewayConfig } from "../config/types.js";

export interface TextOutput {
  write(text: string): unknown;
}

export interface CheckConfigIo {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

const USAGE = "usage: wss-gateway check-config [DIR]\n";

export async function runCheckConfig(argv: readonly string[], io: CheckConfigIo): Promise<number> {
  if (argv.length > 1 || argv.some((arg) => arg.startsWith("-"))) {
    io.stderr.write(USAGE);
    return 2;
  }
  const env = io.env ?? process.env;
  const dir = argv[0] ?? env.WSS_GATEWAY_CONFIG ?? "policies";
  const evaluation = evaluateConfig(dir, { env });
  if (evaluation.kind === "invalid") {
    for (const problem of evaluation.problems) io.stdout.write(`${formatConfigProblem(problem)}\n`);
    const count = evaluation.problems.length;
    io.stderr.write(`${dir}: ${count} problem${count === 1 ? "" : "s"}\n`);
    return 1;
  }
  io.stdout.write(`${dir}: OK (${summarize(evaluation.config)})\n`);
  return 0;
}

function summarize(config: GatewayConfig): string {
  return [
    plural(config.profiles.length, "profile"),
    plural(config.policies.length, "policy", "policies"),
    plural(config.users.size, "user"),
    plural(config.acls.length, "ACL rule"),
    plural(config.tables.size, "table"),
    plural(config.certificates.size, "certificate"),
  ].join(", ");
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
