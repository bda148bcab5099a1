/**
 * Loaded with `--import` by `npm test`: every test file's process gets its
 * own temporary directory (TMPDIR, which `os.tmpdir()` reads on each call),
 * and the directory goes when the process exits. The test runner's own
 * process (the one given `--test`) is left alone: its children must inherit
 * the usual TMPDIR, where tsx keeps its compile cache from run to run.
 *
 * Tests write configurations, SQLite files and private keys under
 * `os.tmpdir()`; without this, every run of the suite left thousands of such
 * directories in /tmp.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

if (!process.execArgv.includes("--test")) {
  const directory = mkdtempSync(join(tmpdir(), "wss-test-"));
  // Others may pass through but not list it: a PostgreSQL a test starts runs as the postgres user in a directory below.
  chmodSync(directory, 0o711);
  process.env.TMPDIR = directory;
  process.once("exit", () => {
    try {
      rmSync(directory, { recursive: true, force: true });
    } catch {
      // A child process still writing there: what is left stays for the system's cleanup.
    }
  });
}
