/** The streams a command uses, so tests can run commands in-process. */
export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const processIo: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Exit status for a usage error (bad flags). */
export const USAGE_ERROR = 2;
