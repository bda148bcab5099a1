/**
 * Configuration reload (SPEC §2): the new directory is validated in full and
 * the store is given any new tables or columns, and only then is the
 * reference swapped. An invalid configuration, or one the store cannot
 * serve, leaves the running one in place; it is logged with every
 * `file:line: field: message` problem and counted. Requests already in
 * flight keep the configuration they started with (RequestState.config).
 */
import type { Logger } from "pino";
import { evaluateConfig } from "../config/load.js";
import { formatConfigProblem, type GatewayConfig } from "../config/types.js";
import { recordConfigReload } from "../observability/metrics.js";
import type { Store } from "../store/types.js";

export type ReloadResult =
  | { readonly kind: "reloaded"; readonly config: GatewayConfig }
  | { readonly kind: "refused"; readonly problems: readonly string[] };

export interface SwappableConfigHolder {
  current(): GatewayConfig;
  swap(next: GatewayConfig): void;
}

export interface Reloader {
  /** Reloads now; concurrent calls run one after another, never interleaved. */
  reload(trigger: string): Promise<ReloadResult>;
}

export function createReloader(options: {
  readonly configDir: string;
  readonly configs: SwappableConfigHolder;
  readonly store: Store;
  readonly logger: Logger;
  /** Told every result (the admin console shows the last one). */
  readonly onResult?: (trigger: string, result: ReloadResult) => void;
}): Reloader {
  let queue: Promise<unknown> = Promise.resolve();
  const reloadOnce = async (trigger: string): Promise<ReloadResult> => {
    const result = await validateAndPrepare(options.configDir, options.store);
    if (result.kind === "refused") {
      recordConfigReload("failure");
      options.logger.error({ trigger, problems: result.problems }, "configuration reload refused; the running configuration stays");
      options.onResult?.(trigger, result);
      return result;
    }
    options.configs.swap(result.config);
    recordConfigReload("success");
    options.logger.info({ trigger, tables: [...result.config.tables.keys()] }, "configuration reloaded");
    options.onResult?.(trigger, result);
    return result;
  };
  return {
    reload(trigger) {
      const next = queue.then(() => reloadOnce(trigger));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

async function validateAndPrepare(configDir: string, store: Store): Promise<ReloadResult> {
  let evaluation;
  try {
    evaluation = evaluateConfig(configDir);
  } catch (error) {
    return { kind: "refused", problems: [`(configuration): ${messageOf(error)}`] };
  }
  if (evaluation.kind === "invalid") return { kind: "refused", problems: evaluation.problems.map(formatConfigProblem) };
  try {
    await store.ensureTables([...evaluation.config.tables.values()]);
  } catch (error) {
    return { kind: "refused", problems: [`tables.yaml: the store cannot serve this configuration: ${messageOf(error)}`] };
  }
  return { kind: "reloaded", config: evaluation.config };
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
