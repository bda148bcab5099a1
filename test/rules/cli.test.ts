/**
 * The CLI a person expects (SPEC §1): `--help` on every command prints its
 * usage on stdout and exits 0; `--version` prints the package version;
 * usage errors say what is wrong and exit 2; `hash-password` prompts twice
 * without echo on a terminal and reads stdin when piped.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { verifyScryptHash } from "../../src/auth/password.js";

const ROOT = join(import.meta.dirname, "../..");
const COMMANDS = ["serve", "check-config", "hash-password", "sign", "explain", "certs"] as const;

async function cli(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The sources through tsx (a dist/ left from an earlier build could be stale); the built bin is tested by test/e2e/package-install.test.ts.
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

describe("CLI: --help, --version, usage errors", { concurrency: true }, () => {
  for (const command of COMMANDS) {
    test(`${command} --help → its usage on stdout, exit 0`, async () => {
      const result = await cli([command, "--help"]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(result.stdout.startsWith(`usage: wss-gateway ${command}`), result.stdout);
      assert.equal(result.stderr, "");
    });
  }

  test("--version prints the package.json version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const result = await cli(["--version"]);
    assert.deepEqual(result, { status: 0, stdout: `${version}\n`, stderr: "" });
  });

  test("--help lists every command; no command at all is a usage error (exit 2, usage on stderr)", async () => {
    const help = await cli(["--help"]);
    assert.equal(help.status, 0);
    for (const command of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
    const none = await cli([]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^wss-gateway: missing command\nusage: wss-gateway <command>/);
    assert.equal(none.stdout, "");
  });

  test("an unknown command or option names it and exits 2", async () => {
    const unknown = await cli(["serv"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^wss-gateway: unknown command serv\n/);
    const option = await cli(["check-config", "--strict"]);
    assert.equal(option.status, 2);
    assert.match(option.stderr, /^check-config: unknown option --strict\nusage: wss-gateway check-config \[DIR\]/);
    const extra = await cli(["hash-password", "hunter2"]);
    assert.equal(extra.status, 2);
    assert.match(extra.stderr, /^hash-password: takes no arguments \(got hunter2\)/);
  });
});

describe("hash-password", () => {
  test("piped stdin → a $scrypt$ hash of the password without its trailing newline", async () => {
    const result = await cli(["hash-password"], "correct horse\n");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.equal(await verifyScryptHash("correct horse", result.stdout.trim()), true);
  });

  test("on a terminal: prompts twice on stderr, echoes nothing of the password, prints its hash", { skip: whichScript() }, async () => {
    // script(1) gives the command a pseudo-terminal; the password is typed only after each prompt appeared.
    const child = spawn("script", ["-q", "-e", "-c", `${process.execPath} --import tsx src/cli/main.ts hash-password`, "/dev/null"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const waitFor = (text: string, after: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (output.indexOf(text, after) !== -1) {
            child.stdout.off("data", check);
            resolve();
          }
        };
        child.stdout.on("data", check);
        check();
      });
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor("Password: ", 0);
    child.stdin.write("s3cret-typed\r");
    await waitFor("Repeat password: ", 0);
    child.stdin.write("s3cret-typed\r");
    const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
    assert.equal(status, 0, output);
    assert.ok(!output.includes("s3cret"), `the password was echoed: ${JSON.stringify(output)}`);
    const hash = /\$scrypt\$\S+/.exec(output)?.[0];
    assert.ok(hash, output);
    assert.equal(await verifyScryptHash("s3cret-typed", hash), true);
  });
});

/** A skip reason when script(1) (util-linux) is not on PATH. */
function whichScript(): string | false {
  const found = (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, "script")));
  return found ? false : "script(1) is not installed: no pseudo-terminal to test the prompt with";
}
