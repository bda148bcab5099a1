// npm's prepare script (npm install / npm ci in a checkout, npm pack): builds dist/ once with tsc.
// Without the dev dependencies (npm ci --omit=dev in a checkout) there is no tsc: an existing dist/ is
// kept, otherwise the install fails with what to do instead of "tsc: not found" at start.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  tsc = undefined;
}
if (tsc === undefined) {
  if (existsSync("dist/cli/main.js")) {
    console.error("prepare: typescript is not installed (--omit=dev): keeping the existing dist/");
    process.exit(0);
  }
  console.error(
    "prepare: dist/ cannot be built without the dev dependencies (typescript).\n" +
      "  Build: npm ci (then npm prune --omit=dev), or install the tarball of npm pack with npm install --omit=dev (docs/deployment.md).",
  );
  process.exit(1);
}
const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
process.exit(build.status ?? 1);
