/**
 * The dependencies a request needs (SPEC §7): the store, the replay cache
 * and the throttle store. A call to one that fails or times out becomes a
 * DependencyUnavailableError, which the pipeline answers with the 503 fault
 * `Service temporarily unavailable` (+ Retry-After) — never an acceptance,
 * a credential fault or a 500.
 */
export type Dependency = "store" | "replay cache" | "throttle store";

export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: Dependency,
    /** For the log: an error code or a short message, never a URL or a secret. */
    readonly reason: string,
  ) {
    super(`${dependency} unavailable: ${reason}`);
    this.name = "DependencyUnavailableError";
  }
}

/** A short, safe description of an error for logs and /readyz: its code, else its first line. */
export function errorReason(error: unknown): string {
  if (error instanceof DependencyUnavailableError) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>").slice(0, 120);
}

/** Rejects with DependencyUnavailableError when `promise` takes longer than `timeoutMs`. */
export async function withTimeout<T>(dependency: Dependency, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyUnavailableError(dependency, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
