/**
 * The real `wss-gateway serve` command in a child process (the CLI through
 * tsx), on 127.0.0.1 with port 0: the URL it chose is read from its JSON
 * "listening" log line on stdout.
 *
 *   const served = await spawnServe(["--config", dir, "--store", `sqlite:${db}`]);
 *   ... requests to served.url ...
 *   served.child.kill("SIGTERM");
 *   assert.deepEqual(await served.exited, { code: 0, signal: null });
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every JSON log line so far (stdout). */
  readonly logLines: () => Record<string, unknown>[];
  readonly stderr: () => string;
}

export async function spawnServe(
  args: readonly string[],
  options: { readyMessage?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ServeProcess> {
  const readyMessage = options.readyMessage ?? "wss-gateway listening";
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--host", "127.0.0.1", "--port", "0", ...args], {
    env: { ...process.env, LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += String(chunk)));
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const logLines = () =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not report "${readyMessage}" in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    const check = () => {
      const ready = logLines().find((line) => line.msg === readyMessage && typeof line.url === "string");
      if (ready) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve(ready.url as string);
      }
    };
    child.stdout!.on("data", check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it was ready\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  return { url, child, exited, logLines, stderr: () => stderr };
}

/** Resolves with the exit, or rejects after `timeoutMs` (and kills the process). */
/** The first log line with `msg`, waiting for it up to `timeoutMs` (a worker may log after the primary's ready line). */
export async function logLineWithin(served: ServeProcess, msg: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = served.logLines().find((candidate) => candidate.msg === msg);
    if (line || Date.now() >= deadline) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function exitWithin(served: ServeProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      served.child.kill("SIGKILL");
      reject(new Error(`serve did not exit within ${timeoutMs} ms\n${served.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([served.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PlainResponse {
  readonly status: number;
  readonly body: string;
}

/** One POST on a new connection (no keep-alive), so that consecutive requests may reach different workers. */
export function postOnNewConnection(url: string, path: string, body: string, headers: Record<string, string>): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: "POST", agent: false, headers: { ...headers, Connection: "close" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export interface SlowPost {
  /** Sends the rest of the body and ends the request. */
  sendRest(): void;
  readonly response: Promise<PlainResponse>;
}

/**
 * A POST whose body arrives in two parts: the headers and `body` up to
 * `splitAt` are sent now, the rest when `sendRest()` is called. The request
 * is in flight in the server (received, not yet answered) in between.
 */
export function startSlowPost(url: string, path: string, body: string, splitAt: number, headers: Record<string, string>): SlowPost {
  const target = new URL(path, url);
  const bytes = Buffer.from(body);
  let req: ReturnType<typeof request>;
  const response = new Promise<PlainResponse>((resolve, reject) => {
    req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: "POST",
        agent: false,
        headers: { ...headers, "Content-Length": String(bytes.length) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.flushHeaders();
    req.write(bytes.subarray(0, splitAt));
  });
  return { response, sendRest: () => req.end(bytes.subarray(splitAt)) };
}
