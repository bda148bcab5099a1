/**
 * `wss-gateway hash-password`: prints the `$scrypt$…` hash of a password for
 * users.yaml. On a terminal it prompts twice on stderr without echoing what
 * is typed; otherwise it reads the password from stdin (one trailing newline
 * dropped), so `hash-password < file` and pipes work.
 */
import { hashPassword } from "../auth/password.js";
import { dropOneTrailingNewline } from "../config/secrets.js";
import type { TextOutput } from "./check-config.js";

export interface HashPasswordIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
}

export const HASH_PASSWORD_USAGE = `usage: wss-gateway hash-password
       wss-gateway hash-password < password-file

Prints the $scrypt$ hash of a password, for the password: field of users.yaml.
On a terminal it asks twice, without echo; otherwise it reads the password on
stdin (one trailing newline is dropped). An empty password is refused.
`;

/** A terminal's stdin, as far as this command needs it. */
interface TerminalInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export async function runHashPassword(argv: readonly string[], io: HashPasswordIo): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
    io.stdout.write(HASH_PASSWORD_USAGE);
    return 0;
  }
  if (argv.length > 0) {
    io.stderr.write(`hash-password: takes no arguments (got ${argv[0]}); the password is read from the terminal or stdin\n${HASH_PASSWORD_USAGE}`);
    return 2;
  }
  const stdin = io.stdin as TerminalInput;
  let password: string;
  if (stdin.isTTY === true && typeof stdin.setRawMode === "function") {
    const first = await readHidden(stdin, io.stderr, "Password: ");
    if (first === undefined) return 130;
    const second = await readHidden(stdin, io.stderr, "Repeat password: ");
    if (second === undefined) return 130;
    if (first !== second) {
      io.stderr.write("hash-password: the passwords do not match\n");
      return 1;
    }
    password = first;
  } else {
    password = dropOneTrailingNewline(await readAll(io.stdin));
  }
  if (password === "") {
    io.stderr.write("hash-password: refusing an empty password\n");
    return 1;
  }
  io.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

/** One line from a terminal in raw mode (nothing echoed); undefined on Ctrl-C / Ctrl-D on an empty line. */
function readHidden(stdin: TerminalInput, prompt: TextOutput, text: string): Promise<string | undefined> {
  stdin.setRawMode!(true); // before the prompt: nothing typed after it may be echoed
  prompt.write(text);
  stdin.resume();
  return new Promise((resolve) => {
    let line = "";
    const finish = (value: string | undefined) => {
      stdin.removeListener("data", onData);
      stdin.setRawMode!(false);
      stdin.pause();
      prompt.write("\n");
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === "\r" || char === "\n") return finish(line);
        if (char === "\u0003" || (char === "\u0004" && line === "")) return finish(undefined);
        if (char === "\u007f" || char === "\b") line = line.slice(0, -1);
        else if (char >= " ") line += char;
      }
    };
    stdin.on("data", onData);
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
