/**
 * How many unexpected worker deaths the primary repairs: at most
 * `maxRestarts` within any `windowMs`. A worker that keeps dying (a bad
 * disk, an unreachable store) is not restarted forever; the primary then
 * stops the rest and exits non-zero so that its supervisor sees it.
 */
export interface RestartBudget {
  /** Records a death at `nowMs`; true when a restart is still within the budget. */
  allowRestart(nowMs: number): boolean;
}

export function restartBudget(maxRestarts: number, windowMs: number): RestartBudget {
  const restartsAtMs: number[] = [];
  return {
    allowRestart(nowMs) {
      while (restartsAtMs.length > 0 && restartsAtMs[0]! <= nowMs - windowMs) restartsAtMs.shift();
      if (restartsAtMs.length >= maxRestarts) return false;
      restartsAtMs.push(nowMs);
      return true;
    },
  };
}
