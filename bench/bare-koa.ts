/**
 * The reference of bench/get-vs-koa.ts: a bare Koa application on 127.0.0.1
 * with one handler that reads the request body and answers a fixed SOAP
 * response (the bytes the gateway answers to the same request, from
 * argv[2]). No routing, authentication, parsing, store or logging. Prints
 * `{"url": …}` once listening.
 */
import { readFileSync } from "node:fs";
import Koa from "koa";

const answer = readFileSync(process.argv[2]!, "utf8");
const app = new Koa();
app.use(async (ctx) => {
  for await (const _chunk of ctx.req) {
    // read and drop the request body, as the gateway reads it
  }
  ctx.type = "text/xml; charset=utf-8";
  ctx.body = answer;
});
const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
