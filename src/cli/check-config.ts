/**
 * `wss-gateway check-config [DIR]`: validates a configuration directory
 * (default $WSS_GATEWAY_CONFIG, else `policies`). Prints every problem of
 * every file as `file:line: field: message` and exits 1, or prints a one-line
 * summary and exits 0. Warnings (`file:line: field: warning: message`: weak
 * or misleading settings, certificates expiring soon) are printed either way
 * and never change the exit status.
 */
import { evaluateConfig } from "../config/load.js";
import { CONFIG_FILES, configFileName } from "../config/schema.js";
import { formatConfigProblem, type ConfigProblem, type GatewayConfig } from "../config/types.js";

export interface TextOutput {
  write(text: string): unknown;
}

export interface CheckConfigIo {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export const CHECK_CONFIG_USAGE = `usage: wss-gateway check-config [DIR]

Validates the configuration directory DIR (default $WSS_GATEWAY_CONFIG, else policies/).
Prints every problem of every file as  file:line: field: message  and exits 1;
warnings (weak settings, certificates expiring within certificate_expiry_warning_days)
as  file:line: field: warning: message  without failing (exit 0).
`;

export async function runCheckConfig(argv: readonly string[], io: CheckConfigIo): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
    io.stdout.write(CHECK_CONFIG_USAGE);
    return 0;
  }
  if (argv.length > 1 || argv.some((arg) => arg.startsWith("-"))) {
    const bad = argv.find((arg) => arg.startsWith("-"));
    io.stderr.write(`check-config: ${bad ? `unknown option ${bad}` : "give at most one directory"}\n${CHECK_CONFIG_USAGE}`);
    return 2;
  }
  const env = io.env ?? process.env;
  const dir = argv[0] ?? env.WSS_GATEWAY_CONFIG ?? "policies";
  const evaluation = evaluateConfig(dir, { env });
  const all = evaluation.kind === "invalid" ? [...evaluation.problems, ...evaluation.warnings] : evaluation.warnings;
  for (const problem of sortByPlace(all)) io.stdout.write(`${formatConfigProblem(problem)}\n`);
  const warned = evaluation.warnings.length === 0 ? "" : `, ${plural(evaluation.warnings.length, "warning")}`;
  if (evaluation.kind === "invalid") {
    io.stderr.write(`${dir}: ${plural(evaluation.problems.length, "problem")}${warned}\n`);
    return 1;
  }
  io.stdout.write(`${dir}: OK (${summarize(evaluation.config)})${warned}\n`);
  return 0;
}

/** Problems and warnings together, file by file in line order (sort is stable: same line keeps problems first). */
function sortByPlace(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const rank = (file: string) => CONFIG_FILES.findIndex((key) => configFileName(key) === file);
  return [...problems].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line);
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
