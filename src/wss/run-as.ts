/**
 * The audit text of a profile's `run_as_user`: it replaces the session user
 * only with `bind_session: true`; without it the run-as user is not used,
 * and the audit line says so instead of "run as …" (check-config warns too).
 */
export function runAsText(profile: { readonly runAsUser: string; readonly bindSession: boolean }): string {
  return profile.bindSession
    ? `run as ${profile.runAsUser}`
    : `run_as_user ${profile.runAsUser} not applied (bind_session: false): the session user stays the Basic-authenticated user`;
}
