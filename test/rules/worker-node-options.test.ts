/**
 * `serve --workers N`: the workers' Node options (src/cluster/primary.ts).
 * A 32 MB young-generation semi-space unless the operator chose a size.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { workerExecArgv } from "../../src/cluster/primary.js";

describe("workers' Node options", () => {
  test("workers get --max-semi-space-size=32 after the primary's own options", () => {
    assert.deepEqual(workerExecArgv([], undefined), ["--max-semi-space-size=32"]);
    assert.deepEqual(workerExecArgv(["--enable-source-maps"], "--no-warnings"), ["--enable-source-maps", "--max-semi-space-size=32"]);
  });

  test("a size the operator chose (command line or NODE_OPTIONS, any spelling) is kept, not overridden", () => {
    assert.deepEqual(workerExecArgv(["--max-semi-space-size=8"], undefined), ["--max-semi-space-size=8"]);
    assert.deepEqual(workerExecArgv(["--max_semi_space_size", "64"], undefined), ["--max_semi_space_size", "64"]);
    assert.deepEqual(workerExecArgv([], "--no-warnings  --max-semi-space-size=128"), []);
  });

  test("a similar but different flag is not taken for a chosen size", () => {
    assert.deepEqual(workerExecArgv(["--max-semi-space-sizes=8", "--min-semi-space-size=4"], undefined), [
      "--max-semi-space-sizes=8",
      "--min-semi-space-size=4",
      "--max-semi-space-size=32",
    ]);
  });
});
