/**
 * URLs of the real servers that .ci/run starts (WSS_TEST_REDIS_URL,
 * WSS_TEST_POSTGRES_URL). Outside CI a missing server skips its tests with
 * a message; under CI (CI=true) it fails them, so they never pass unrun.
 */
export function serverUrl(variable: "WSS_TEST_REDIS_URL" | "WSS_TEST_POSTGRES_URL"): { url: string } | { skip: string } {
  const url = process.env[variable];
  if (url) return { url };
  if (process.env.CI) throw new Error(`${variable} is not set: .ci/run must start the server`);
  return { skip: `${variable} is not set (run \`. .ci/servers.sh && start_redis && start_postgres\`)` };
}
