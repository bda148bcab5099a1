import { pino, type Logger } from "pino";

/** JSON logs on stdout. Level from LOG_LEVEL (default info). */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  return pino(
    { level, base: undefined, timestamp: isoTime, formatters: { level: (label) => ({ level: label }) } },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

let lastMs = Number.NaN;
let lastTime = "";

/**
 * pino's `stdTimeFunctions.isoTime` (`,"time":"2026-11-27T21:00:00.000Z"`),
 * formatted once per millisecond: every line logged within the same
 * millisecond (several per request under load) reuses the text.
 */
export function isoTime(): string {
  const nowMs = Date.now();
  if (nowMs !== lastMs) {
    lastMs = nowMs;
    lastTime = `,"time":"${new Date(nowMs).toISOString()}"`;
  }
  return lastTime;
}
