import { isAscii, isUtf8 } from "node:buffer";
const b = Buffer.from("<a>" + "x".repeat(1<<20) + "</a>");
const td = new TextDecoder("utf-8", { fatal: true });
for (const [name, f] of [["td", () => td.decode(b)], ["ascii+latin1", () => isAscii(b) && b.toString("latin1")], ["utf8", () => isUtf8(b) && b.toString("utf8")]]) {
  for (let i = 0; i < 50; i++) f();
  const t = process.hrtime.bigint(); for (let i = 0; i < 200; i++) f(); console.log(name, Number(process.hrtime.bigint() - t) / 200e6, "ms");
}
