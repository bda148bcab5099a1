/**
 * Secrets in the configuration: a literal, `{env: NAME}` or `{file: PATH}`.
 * A relative PATH is taken from the configuration directory, and one
 * trailing newline is dropped. Problems never quote the secret itself.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { SecretSource } from "./schema.js";

export type ResolvedSecret =
  | { readonly kind: "resolved"; readonly value: string }
  | { readonly kind: "unresolved"; readonly message: string };

export interface SecretContext {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

export function resolveSecret(source: SecretSource, context: SecretContext): ResolvedSecret {
  const value = readSecret(source, context);
  if (value.kind === "resolved" && value.value === "") {
    return { kind: "unresolved", message: `${describeSecretSource(source)} is empty` };
  }
  return value;
}

function readSecret(source: SecretSource, context: SecretContext): ResolvedSecret {
  if (typeof source === "string") return { kind: "resolved", value: source };
  if ("env" in source) {
    const value = context.env[source.env];
    if (value === undefined) return { kind: "unresolved", message: `environment variable ${source.env} is not set` };
    return { kind: "resolved", value };
  }
  const path = resolve(context.dir, source.file);
  try {
    return { kind: "resolved", value: dropOneTrailingNewline(readFileSync(path, "utf8")) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`;
    return { kind: "unresolved", message: `secret file ${source.file} ${reason}` };
  }
}

export function dropOneTrailingNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

function describeSecretSource(source: SecretSource): string {
  if (typeof source === "string") return "the secret";
  if ("env" in source) return `environment variable ${source.env}`;
  return `secret file ${source.file}`;
}
