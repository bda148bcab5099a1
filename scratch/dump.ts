import { writeFileSync, cpSync } from "node:fs";
import { makeKeys, makeSignedEnvelope, parseSize, writeConfigDir } from "../bench/fixtures.ts";
const keys = makeKeys();
const dir = writeConfigDir(keys);
cpSync(dir, "/tmp/prof/config", { recursive: true });
for (const s of ["6k", "100k", "1m"]) writeFileSync(`/tmp/prof/env-${s}.xml`, makeSignedEnvelope(keys, s, parseSize(s)).bytes);
