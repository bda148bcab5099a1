/** The `wss-gateway` command: one subcommand per file in src/cli/. */
import { asksForHelp, packageVersion } from "./help.js";
import { processIo, USAGE_ERROR, type CommandIo } from "./io.js";

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.js")).runServe,
  "check-config": async () => (await import("./check-config.js")).runCheckConfig,
  "hash-password": async () => (await import("./hash-password.js")).runHashPassword,
  sign: async () => (await import("./sign.js")).runSign,
  explain: async () => (await import("./explain.js")).runExplain,
  certs: async () => (await import("./certs.js")).runCerts,
  call: async () => (await import("./call.js")).runCall,
};

/** Usage of the commands that do not print their own on --help. */
const HELP: Record<string, () => Promise<string>> = {
  serve: async () => (await import("./help.js")).SERVE_USAGE,
  "check-config": async () => (await import("./check-config.js")).CHECK_CONFIG_USAGE,
  "hash-password": async () => (await import("./hash-password.js")).HASH_PASSWORD_USAGE,
  sign: async () => (await import("./sign.js")).SIGN_USAGE,
  certs: async () => (await import("./certs.js")).CERTS_USAGE,
};

const USAGE = `usage: wss-gateway <command> [options]
       wss-gateway <command> --help
       wss-gateway --version

commands:
  serve [--config DIR] [--port N] [--host H] [--store URL] [--replay-cache URL] [--workers N]
        [--tls-cert F --tls-key F [--tls-client-ca F]] [--metrics-port N [--metrics-host H]]
  check-config [DIR]          validate a configuration directory
  hash-password               read a password on stdin, print a $scrypt$ hash
  sign [--key F --cert F] [--username U --password P [--digest]] [--timestamp SECONDS]
                              sign / add tokens to an envelope read on stdin
  explain [--config DIR] --user NAME [--password P | --digest-token T [--de-time S]] [--policy NAME] FILE
                              run the whole decision on a saved request, step by step
  certs [DIR] [--expiring-within DAYS]
                              list configured certificates, fingerprints and expiry
  call --policy NAME --url WSDL_URL --table T --operation OP (--data JSON | --file F)
       [--config DIR] [--endpoint URL] [--soap12] [--json] [--insecure]
                              call a remote SOAP service secured per an outbound policy
`;

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === undefined) {
      io.stderr.write(`wss-gateway: missing command\n${USAGE}`);
      return USAGE_ERROR;
    }
    io.stdout.write(USAGE);
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`wss-gateway: unknown command ${name}\n${USAGE}`);
    return USAGE_ERROR;
  }
  const help = HELP[name];
  if (help !== undefined && asksForHelp(rest)) {
    io.stdout.write(await help());
    return 0;
  }
  return (await load())(rest, io);
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
