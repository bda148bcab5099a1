/**
 * Loads the configuration directory (SPEC §2): reads the six YAML files,
 * validates them against the one schema, checks cross-file references,
 * resolves secrets, parses certificates and returns the deep-frozen
 * GatewayConfig. Any problem anywhere throws a ConfigError listing every
 * problem found, each with its file, line and field.
 *
 * gateway.yaml and tables.yaml are required; profiles.yaml, policies.yaml,
 * users.yaml and acls.yaml may be absent, meaning an empty list.
 */
import { join, resolve } from "node:path";
import type { z } from "zod";
import { buildConfig } from "./build.js";
import { deepFreeze } from "./freeze.js";
import type { ProblemSink } from "./problems.js";
import { checkDirections } from "./directions.js";
import { checkReferences } from "./references.js";
import {
  CONFIG_FILES,
  configDirectorySchema,
  configFileName,
  REQUIRED_CONFIG_FILES,
  type ConfigDirectory,
  type ConfigFileKey,
} from "./schema.js";
import { ConfigError, type ConfigProblem, type GatewayConfig } from "./types.js";
import { knownKeysAt, nearestKey } from "./suggest.js";
import { checkCertificatePaths, warnAboutSettings } from "./warnings.js";
import { formatPath, readYamlSource, type ConfigPath } from "./yaml-source.js";

export interface LoadOptions {
  /** Where `{env: NAME}` secrets are read from; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** "Now" for certificate expiry warnings; defaults to the current time. */
  readonly now?: Date;
}

/** Problems make a configuration invalid; warnings (weak or misleading settings, see src/config/warnings.ts) never do. */
export type ConfigEvaluation =
  | { readonly kind: "valid"; readonly config: GatewayConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly kind: "invalid"; readonly problems: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] };

/** The validated, deep-frozen configuration; throws ConfigError with every problem found. */
export function loadConfig(dir: string, options: LoadOptions = {}): GatewayConfig {
  const evaluation = evaluateConfig(dir, options);
  if (evaluation.kind === "invalid") throw new ConfigError(evaluation.problems);
  return evaluation.config;
}

/** Every problem of the configuration in `dir`; empty when it loads cleanly. */
export function checkConfig(dir: string, options: LoadOptions = {}): ConfigProblem[] {
  const evaluation = evaluateConfig(dir, options);
  return evaluation.kind === "invalid" ? [...evaluation.problems] : [];
}

export function evaluateConfig(dir: string, options: LoadOptions = {}): ConfigEvaluation {
  const absoluteDir = resolve(dir);
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const locators = new Map<ConfigFileKey, (path: ConfigPath) => number>();
  const at = (file: ConfigFileKey, path: ConfigPath) => ({
    file: configFileName(file),
    line: locators.get(file)?.(path) ?? 1,
    field: formatPath(path) || "(root)",
  });
  const sink: ProblemSink = {
    report(file, path, message) {
      problems.push({ ...at(file, path), message });
    },
    warn(file, path, message) {
      warnings.push({ ...at(file, path), message, severity: "warning" });
    },
  };

  const files: Partial<Record<ConfigFileKey, unknown>> = {};
  const raw: Partial<Record<ConfigFileKey, unknown>> = {};
  for (const key of CONFIG_FILES) {
    const name = configFileName(key);
    const source = readYamlSource(join(absoluteDir, name));
    switch (source.kind) {
      case "absent":
        if (REQUIRED_CONFIG_FILES.has(key)) problems.push({ file: name, line: 1, field: "(file)", message: "required file is missing" });
        else files[key] = parseFile(key, {}, sink);
        break;
      case "unreadable":
        problems.push({ file: name, line: 1, field: "(file)", message: source.message });
        break;
      case "invalid":
        for (const p of source.problems) {
          problems.push({ file: name, line: p.line, field: p.path.length > 0 ? formatPath(p.path) : "(yaml)", message: p.message });
        }
        break;
      case "parsed":
        locators.set(key, source.locate);
        raw[key] = source.data;
        files[key] = parseFile(key, source.data, sink);
        break;
      default: {
        const unexpected: never = source;
        throw new Error(`unexpected YAML source ${JSON.stringify(unexpected)}`);
      }
    }
  }

  const valid = files as Partial<ConfigDirectory>;
  checkReferences(valid, sink);
  checkDirections({ profiles: raw.profiles, policies: raw.policies }, valid, sink);
  warnAboutSettings(raw, sink);

  // Every problem of every file in one run: the files that passed the schema are built (secrets, certificates)
  // even when others did not, with an empty stand-in for each file that failed; certificate paths in a file
  // that failed are still checked.
  const context = { dir: absoluteDir, env: options.env ?? process.env, sink };
  for (const key of CONFIG_FILES) {
    if (valid[key] === undefined && raw[key] !== undefined) checkCertificatePaths(key, raw[key], context);
  }
  const config = buildConfig(completeWithStandIns(valid), {
    ...context,
    aclLine: (index) => locators.get("acls")?.(["acls", index]) ?? 1,
    now: options.now ?? new Date(),
  });
  if (problems.length > 0 || !isComplete(valid)) {
    return { kind: "invalid", problems: sortProblems(problems), warnings: sortProblems(warnings) };
  }
  return { kind: "valid", config: deepFreeze(config), warnings: sortProblems(warnings) };
}

/** An empty, schema-default stand-in for each file that is missing or failed, so the others can still be built. */
function completeWithStandIns(files: Partial<ConfigDirectory>): ConfigDirectory {
  const complete: Partial<Record<ConfigFileKey, unknown>> = {};
  for (const key of CONFIG_FILES) {
    complete[key] = files[key] ?? configDirectorySchema.shape[key].parse(key === "tables" ? { tables: [] } : {});
  }
  return complete as ConfigDirectory;
}

/** Validates one file's data against its part of the schema; undefined (and problems reported) when invalid. */
function parseFile(key: ConfigFileKey, data: unknown, sink: ProblemSink): unknown {
  const result = configDirectorySchema.shape[key].safeParse(data);
  if (result.success) return result.data;
  for (const issue of result.error.issues) reportIssue(key, data, issue, sink);
  return undefined;
}

function reportIssue(key: ConfigFileKey, data: unknown, issue: z.core.$ZodIssue, sink: ProblemSink): void {
  const path = issue.path as (string | number)[];
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(configDirectorySchema.shape[key], path);
    for (const unknownKey of issue.keys) {
      const nearest = nearestKey(unknownKey, known.filter((k) => !hasValueAt(data, [...path, k])));
      sink.report(key, [...path, unknownKey], nearest === undefined ? "unknown key" : `unknown key; did you mean "${nearest}"?`);
    }
    return;
  }
  const missing = issue.code !== "custom" && !hasValueAt(data, path);
  const discriminatorOptions = issue.code === "invalid_union" ? (issue as { options?: unknown[] }).options : undefined;
  if (discriminatorOptions !== undefined) {
    const oneOf = `must be one of ${discriminatorOptions.map(String).join(", ")}`;
    sink.report(key, path, missing ? `required field is missing; ${oneOf}` : oneOf);
    return;
  }
  if (missing) {
    sink.report(key, path, "required field is missing");
    return;
  }
  switch (issue.code) {
    case "invalid_type": {
      const value = valueAt(data, path);
      if (issue.expected === "int" && typeof value === "number") sink.report(key, path, "must be an integer");
      else sink.report(key, path, `expected ${typeName(issue.expected)}, got ${describeType(value)}`);
      return;
    }
    case "invalid_value":
      sink.report(key, path, `must be one of ${issue.values.map(String).join(", ")}`);
      return;
    default:
      sink.report(key, path, issue.message);
  }
}

/** zod's names for expected types, in the words of YAML. */
function typeName(expected: string): string {
  switch (expected) {
    case "int":
      return "integer";
    case "array":
      return "list";
    case "object":
    case "record":
      return "mapping";
    default:
      return expected;
  }
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function hasValueAt(data: unknown, path: readonly (string | number)[]): boolean {
  return valueAt(data, path) !== undefined;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "mapping";
  return typeof value;
}

function isComplete(files: Partial<ConfigDirectory>): files is ConfigDirectory {
  return CONFIG_FILES.every((key) => files[key] !== undefined);
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const fileRank = (file: string) => CONFIG_FILES.findIndex((key) => configFileName(key) === file);
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => fileRank(a.problem.file) - fileRank(b.problem.file) || a.problem.line - b.problem.line || a.index - b.index)
    .map(({ problem }) => problem);
}
