import { pino, type Logger } from "pino";

/** JSON logs on stdout. Level from LOG_LEVEL (default info). */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
