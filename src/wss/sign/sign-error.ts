/** A signing request that cannot be honoured (bad key, missing certificate, malformed envelope). */
export class SignError extends Error {
  override name = "SignError";
}
