#!/usr/bin/env node
// Runs the compiled CLI (dist/, built once by `npm run build`, which `npm install`/`npm ci` run as the
// `prepare` script and `npm pack` before packing). In a source checkout without dist/ it runs the
// TypeScript sources through tsx, a development dependency.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "cli", "main.js");
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
