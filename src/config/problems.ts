/**
 * Where the loader's checks report what they find: a file, a path into its
 * data and a message. The loader turns each into a ConfigProblem with the
 * line of that path.
 */
import type { ConfigFileKey } from "./schema.js";
import type { ConfigPath } from "./yaml-source.js";

export interface ProblemSink {
  report(file: ConfigFileKey, path: ConfigPath, message: string): void;
  /** A setting that is valid but weak or misleading: printed as `warning:`, never fails the check. */
  warn(file: ConfigFileKey, path: ConfigPath, message: string): void;
}
