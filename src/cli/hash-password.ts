/**
 * `wss-gateway hash-password`: reads one password on stdin (one trailing
 * newline dropped) and prints its `$scrypt$…` hash for users.yaml.
 */
import { hashPassword } from "../auth/password.js";
import { dropOneTrailingNewline } from "../config/secrets.js";
import type { TextOutput } from "./check-config.js";

export interface HashPasswordIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
}

export async function runHashPassword(argv: readonly string[], io: HashPasswordIo): Promise<number> {
  if (argv.length > 0) {
    io.stderr.write("usage: wss-gateway hash-password < password-file\n");
    return 2;
  }
  const password = dropOneTrailingNewline(await readAll(io.stdin));
  if (password === "") {
    io.stderr.write("hash-password: refusing an empty password\n");
    return 1;
  }
  io.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
