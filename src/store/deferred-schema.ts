/**
 * A store that was unreachable when the gateway started (SPEC §1: `serve`
 * starts anyway, `/readyz` answers 503 naming it, requests that need it get
 * 503): its tables are created on the first call that finds it reachable —
 * a request's transaction or a /readyz ping — and not before. Any other
 * failure of the schema at start (a column whose stored type differs) still
 * stops the start.
 */
import type { TableDef } from "../config/types.js";
import { DependencyUnavailableError } from "../dependency.js";
import type { Store } from "./types.js";

export async function ensureSchemaOrDefer(store: Store, tables: readonly TableDef[], onDeferred: (error: DependencyUnavailableError) => void): Promise<Store> {
  try {
    await store.ensureTables(tables);
    return store;
  } catch (error) {
    if (!(error instanceof DependencyUnavailableError)) throw error;
    onDeferred(error);
  }
  let ready = false;
  let pending: Promise<void> | undefined;
  const ensure = async (): Promise<void> => {
    if (ready) return;
    pending ??= store
      .ensureTables(tables)
      .then(() => {
        ready = true;
      })
      .finally(() => {
        pending = undefined;
      });
    await pending;
  };
  return {
    async transaction(fn, options) {
      await ensure();
      return store.transaction(fn, options);
    },
    ensureTables: (more) => store.ensureTables(more),
    async ping() {
      await ensure();
      await store.ping();
    },
    close: () => store.close(),
  };
}
