/**
 * Rule: a message created before the replay cache's memory began (its epoch,
 * src/replay/epoch.ts) may have been accepted before and forgotten since, so
 * it is refused `WS-Security message expired` (SPEC §7). Applies to the
 * Created of our Timestamp and of a UsernameToken. A message created at or
 * after the epoch is judged by the replay cache as usual. An epoch still
 * unread (a lazy one, src/wss/types.ts) refuses: it never lets a Created pass.
 */
export type EpochCheck = { readonly kind: "after-epoch" } | { readonly kind: "before-epoch"; readonly reason: string };

export function checkReplayEpoch(what: string, created: Date, epoch: Date | (() => Promise<Date>) | undefined): EpochCheck {
  // A lazy epoch the engine did not read (readReplayEpoch) passes nothing: fail closed.
  if (typeof epoch === "function") return { kind: "before-epoch", reason: `${what} Created not checked: the replay cache's epoch was not read` };
  if (epoch === undefined || created.getTime() >= epoch.getTime()) return { kind: "after-epoch" };
  return {
    kind: "before-epoch",
    reason: `${what} Created ${created.toISOString()} is before the replay cache's epoch ${epoch.toISOString()} (it may have been accepted and forgotten since)`,
  };
}
