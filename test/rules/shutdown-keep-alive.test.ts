/**
 * Graceful shutdown with keep-alive clients (SPEC §7): every answer in flight
 * at SIGTERM carries `Connection: close`, and a request is either answered or
 * not executed — never committed without an answer. The clients are raw
 * HTTP/1.1 sockets that reuse their connection and pipeline two requests at
 * a time, as the clients that lost records did; afterwards every stored
 * record must be one a client was answered 200 for, and the other way round.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import Database from "better-sqlite3";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope, textOf } from "../helpers/gateway.js";
import { postRequest, RawConnection, type RawResponse } from "../helpers/raw-http.js";
import { exitWithin, spawnServe, type ServeProcess } from "../helpers/serve-process.js";
import { serverUrl } from "../helpers/servers.js";

const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: basicAuth("alice", "alice-password") };
const EXIT_WITHIN_MS = 20_000;
const SHUTTING_DOWN = "shutting down: no new connections, finishing requests in flight";

function insertRequest(number: string): Buffer {
  return postRequest("/incident.do?SOAP", soapEnvelope("incident", "insert", `<number>${number}</number><short_description>keep-alive</short_description>`), HEADERS);
}

function freshStore(): { dbPath: string; storeArg: string } {
  const dbPath = join(mkdtempSync(join(tmpdir(), "wss-keepalive-db-")), "gateway.db");
  return { dbPath, storeArg: `sqlite:${dbPath}` };
}

function storedNumbers(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT number FROM "incident" ORDER BY number`).all() as { number: string }[]).map((row) => row.number);
  } finally {
    db.close();
  }
}

async function waitForLog(served: ServeProcess, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (served.logLines().filter((line) => line.msg === SHUTTING_DOWN).length >= count) return;
    await delay(20);
  }
  throw new Error(`"${SHUTTING_DOWN}" was not logged ${count} time(s)`);
}

describe("SIGTERM with a keep-alive connection that reuses and pipelines", () => {
  test("the request in flight is answered 200 with Connection: close; the request pipelined behind it after SIGTERM is not executed; an idle connection is closed", async () => {
    const { dbPath, storeArg } = freshStore();
    const served = await spawnServe(["--config", makeConfigDir(), "--store", storeArg]);
    const busy = await RawConnection.open(served.url);
    const idle = await RawConnection.open(served.url);

    busy.send(insertRequest("KA-1"));
    const first = await busy.nextResponse();
    assert.equal(first?.status, 200, first?.body);
    assert.equal(first?.headers.connection, "keep-alive", "before SIGTERM the connection is kept alive");
    idle.send(insertRequest("KA-IDLE"));
    assert.equal((await idle.nextResponse())?.status, 200);

    const inFlight = insertRequest("KA-2");
    const split = inFlight.length - 40;
    busy.send(inFlight.subarray(0, split)); // headers and most of the body: the request is being executed
    await delay(200);
    served.child.kill("SIGTERM");
    await waitForLog(served, 1);
    busy.send(Buffer.concat([inFlight.subarray(split), insertRequest("KA-3-AFTER-SIGTERM")])); // the rest, and the next request right behind it

    const second = await busy.nextResponse();
    assert.equal(second?.status, 200, second?.body);
    assert.equal(second?.headers.connection, "close", "an answer in flight at SIGTERM carries Connection: close");
    const third = await busy.nextResponse();
    if (third !== undefined) {
      assert.equal(third.status, 503, "a request read after SIGTERM is refused, not executed");
      assert.equal(third.headers.connection, "close");
      assert.ok(third.headers["retry-after"]);
    }
    assert.equal(await idle.nextResponse(), undefined);
    assert.equal(idle.endReason, "end", "the idle keep-alive connection is closed by the server");

    assert.deepEqual(await exitWithin(served, EXIT_WITHIN_MS), { code: 0, signal: null });
    assert.deepEqual(storedNumbers(dbPath), ["KA-1", "KA-2", "KA-IDLE"], "KA-3 arrived after SIGTERM: not executed");
  });
});

interface LoadResult {
  readonly acknowledged: Set<string>;
  readonly sent: number;
  readonly closeAnswers: number;
  readonly refused503: number;
  readonly otherStatuses: number[];
}

/**
 * `clients` raw keep-alive connections, each pipelining two inserts at a time
 * until its connection ends; `onAnswers` is called with the running count of
 * answers (the test sends SIGTERM from it).
 */
async function keepAliveLoad(url: string, clients: number, onAnswer: (answers: number) => void): Promise<LoadResult> {
  const acknowledged = new Set<string>();
  const otherStatuses: number[] = [];
  let sent = 0;
  let answers = 0;
  let closeAnswers = 0;
  let refused503 = 0;
  const record = (number: string, response: RawResponse) => {
    answers += 1;
    if (response.headers.connection === "close") closeAnswers += 1;
    if (response.status === 200) {
      assert.ok(textOf(response.body, "sys_id"), response.body);
      acknowledged.add(number);
    } else if (response.status === 503) refused503 += 1;
    else otherStatuses.push(response.status);
    onAnswer(answers);
  };
  const client = async (index: number) => {
    const connection = await RawConnection.open(url);
    for (let round = 0; round < 1000; round++) {
      const numbers = [`C${index}-R${round}-A`, `C${index}-R${round}-B`];
      if (!connection.send(Buffer.concat(numbers.map(insertRequest)))) break;
      sent += 2;
      let ended = false;
      for (const number of numbers) {
        const response = await connection.nextResponse();
        if (response === undefined) {
          ended = true;
          break;
        }
        record(number, response);
      }
      if (ended || connection.closed) break;
    }
    connection.close();
  };
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  return { acknowledged, sent, closeAnswers, refused503, otherStatuses };
}

async function shutdownUnderKeepAliveLoad(served: ServeProcess, dbPath: string, shuttingDownLines: number, diagnostic: (message: string) => void): Promise<void> {
  const signalAfterAnswers = 120;
  let signalled = false;
  const result = await keepAliveLoad(served.url, 16, (answers) => {
    if (answers >= signalAfterAnswers && !signalled) {
      signalled = true;
      served.child.kill("SIGTERM");
    }
  });
  const exit = await exitWithin(served, EXIT_WITHIN_MS);
  await waitForLog(served, shuttingDownLines);
  const stored = storedNumbers(dbPath);
  diagnostic(
    `${result.sent} inserts sent on 16 keep-alive connections (pipelined by 2); ${result.acknowledged.size} answered 200, ${result.refused503} answered 503, ${result.closeAnswers} answers carried Connection: close; ${stored.length} stored`,
  );
  assert.deepEqual(exit, { code: 0, signal: null }, served.stderr());
  assert.deepEqual(result.otherStatuses, [], "no answer other than 200 or the shutdown 503");
  const unanswered = stored.filter((number) => !result.acknowledged.has(number));
  assert.deepEqual(unanswered, [], "stored records whose client never got an answer");
  const lost = [...result.acknowledged].filter((number) => !stored.includes(number));
  assert.deepEqual(lost, [], "records answered 200 that are not stored");
}

describe("SIGTERM under load from keep-alive clients: every stored record was answered, every 200 is stored", () => {
  test("one process", async (t) => {
    const { dbPath, storeArg } = freshStore();
    const served = await spawnServe(["--config", makeConfigDir(), "--store", storeArg]);
    await shutdownUnderKeepAliveLoad(served, dbPath, 1, (message) => t.diagnostic(message));
  });

  const redis = serverUrl("WSS_TEST_REDIS_URL");
  test("--workers 2", { skip: "skip" in redis ? redis.skip : false }, async (t) => {
    const { dbPath, storeArg } = freshStore();
    const redisUrl = new URL("url" in redis ? redis.url : "redis://127.0.0.1:1");
    redisUrl.pathname = "/5";
    const served = await spawnServe(["--config", makeConfigDir(), "--store", storeArg, "--workers", "2", "--replay-cache", redisUrl.href], {
      readyMessage: "wss-gateway workers listening",
    });
    await shutdownUnderKeepAliveLoad(served, dbPath, 2, (message) => t.diagnostic(message));
  });
});
