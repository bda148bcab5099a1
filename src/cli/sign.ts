/**
 * `wss-gateway sign`: the client side. Reads an envelope on stdin, writes it
 * with WS-Security added on stdout. Exit 0 on success, 1 when the input or a
 * key/certificate file cannot be used, 2 for a usage error.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  DIGEST_NAMES,
  KEY_REFERENCE_STYLES,
  isDigestName,
  isKeyReferenceStyle,
  signEnvelope,
  SignError,
  type SignOptions,
} from "../wss/sign/index.js";
import { USAGE_ERROR, type CommandIo } from "./io.js";

export const SIGN_USAGE = `usage: wss-gateway sign [options] < envelope.xml > signed.xml
  --key FILE                 PEM private key (RSA or EC) to sign with; needs --cert
  --cert FILE                PEM certificate of that key
  --key-reference STYLE      ${KEY_REFERENCE_STYLES.join(" | ")} (default bst)
  --digest-algorithm NAME    ${DIGEST_NAMES.join(" | ")} (default sha256)
  --timestamp SECONDS        add a wsu:Timestamp expiring after SECONDS
  --username USER            add a UsernameToken
  --password PASSWORD        its password (PasswordText unless --digest)
  --digest                   send the password as a PasswordDigest
`;

class UsageError extends Error {}

export async function runSign(argv: string[], io: CommandIo): Promise<number> {
  let options: SignOptions;
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        key: { type: "string" },
        cert: { type: "string" },
        "key-reference": { type: "string" },
        "digest-algorithm": { type: "string" },
        timestamp: { type: "string" },
        username: { type: "string" },
        password: { type: "string" },
        digest: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (parsed.values.help) {
      io.stdout.write(SIGN_USAGE);
      return 0;
    }
    options = await signOptionsFrom(parsed.values);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`sign: ${(error as Error).message}\n${SIGN_USAGE}`);
      return USAGE_ERROR;
    }
    if (error instanceof SignError) {
      io.stderr.write(`sign: ${error.message}\n`);
      return 1;
    }
    throw error;
  }

  const envelope = await readAll(io.stdin);
  try {
    io.stdout.write(signEnvelope(envelope, options));
    return 0;
  } catch (error) {
    if (error instanceof SignError) {
      io.stderr.write(`sign: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

interface SignFlags {
  key?: string;
  cert?: string;
  "key-reference"?: string;
  "digest-algorithm"?: string;
  timestamp?: string;
  username?: string;
  password?: string;
  digest?: boolean;
}

async function signOptionsFrom(flags: SignFlags): Promise<SignOptions> {
  if ((flags.key === undefined) !== (flags.cert === undefined)) {
    throw new UsageError(flags.key === undefined ? "--cert needs --key" : "--key needs --cert");
  }
  if (flags.key === undefined && (flags["key-reference"] !== undefined || flags["digest-algorithm"] !== undefined)) {
    throw new UsageError(`${flags["key-reference"] !== undefined ? "--key-reference" : "--digest-algorithm"} needs --key and --cert`);
  }
  if (flags.password !== undefined && flags.username === undefined) throw new UsageError("--password needs --username");
  if (flags.digest && flags.password === undefined) throw new UsageError("--digest needs --password");
  if (flags.key === undefined && flags.username === undefined && flags.timestamp === undefined) {
    throw new UsageError("nothing to add: give --key and --cert, --username or --timestamp");
  }

  const keyReference = flags["key-reference"];
  if (keyReference !== undefined && !isKeyReferenceStyle(keyReference)) {
    throw new UsageError(`--key-reference: expected one of ${KEY_REFERENCE_STYLES.join(", ")}, got "${keyReference}"`);
  }
  const digest = flags["digest-algorithm"];
  if (digest !== undefined && !isDigestName(digest)) {
    throw new UsageError(`--digest-algorithm: expected one of ${DIGEST_NAMES.join(", ")}, got "${digest}"`);
  }
  let timestampSeconds: number | undefined;
  if (flags.timestamp !== undefined) {
    timestampSeconds = Number(flags.timestamp);
    if (!/^\d+$/.test(flags.timestamp) || timestampSeconds <= 0) {
      throw new UsageError(`--timestamp: expected a positive whole number of seconds, got "${flags.timestamp}"`);
    }
  }
  return {
    ...(flags.key !== undefined ? { key: await readFlagFile("--key", flags.key) } : {}),
    ...(flags.cert !== undefined ? { cert: await readFlagFile("--cert", flags.cert) } : {}),
    ...(keyReference !== undefined ? { keyReference } : {}),
    ...(digest !== undefined ? { digest } : {}),
    ...(timestampSeconds !== undefined ? { timestampSeconds } : {}),
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    ...(flags.password !== undefined ? { password: flags.password } : {}),
    passwordType: flags.digest ? "digest" : "text",
  };
}

async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new SignError(`${flag}: cannot read ${path} (${code})`);
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
