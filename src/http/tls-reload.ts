/**
 * The TLS server certificate and key (`serve --tls-cert/--tls-key`), read at
 * start and again on every reload (SIGHUP, file change): a renewed
 * certificate is served to new connections without a restart. A pair that
 * cannot be read or does not match is refused and the running one stays.
 */
import { readFileSync } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import type { Logger } from "pino";
import { parseCertificatePem } from "../certs/certificate.js";
import type { ConfiguredCertificate } from "../config/types.js";

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
}

export interface TlsMaterial {
  readonly options: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };
  /** The server certificate (the first of the chain file), for expiry warnings and metrics. */
  readonly certificate: ConfiguredCertificate;
}

/** Reads and checks the pair (createSecureContext throws when the key does not match the certificate). */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readFileSync(files.certFile);
  const key = readFileSync(files.keyFile);
  const ca = files.clientCaFile === undefined ? undefined : readFileSync(files.clientCaFile);
  const options = { cert, key, ...(ca === undefined ? {} : { ca }) };
  createSecureContext(options);
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(cert.toString("latin1"))?.[0] ?? cert;
  return { options, certificate: parseCertificatePem(first, files.certFile) };
}

export class TlsCertificate {
  #current: TlsMaterial;
  constructor(
    private readonly files: TlsFiles,
    initial: TlsMaterial,
  ) {
    this.#current = initial;
  }

  get certificate(): ConfiguredCertificate {
    return this.#current.certificate;
  }

  /** Re-reads the files and swaps the servers' secure context; on failure keeps the running one. */
  reload(servers: readonly HttpsServer[], logger: Logger): boolean {
    let next: TlsMaterial;
    try {
      next = readTlsMaterial(this.files);
    } catch (error) {
      logger.error({ certFile: this.files.certFile, error: (error as Error).message }, "TLS certificate reload refused; the running certificate stays");
      return false;
    }
    for (const server of servers) server.setSecureContext(next.options);
    if (next.certificate.fingerprintSha256 !== this.#current.certificate.fingerprintSha256) {
      logger.info({ certFile: this.files.certFile, fingerprint: next.certificate.fingerprintSha256, notAfter: next.certificate.notAfter.toISOString() }, "TLS certificate reloaded");
    }
    this.#current = next;
    return true;
  }
}
