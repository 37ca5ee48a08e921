/**
 * Files mode (`--webhook-cert-mode=files`): where the certificate files are, controller-runtime style
 * (`<dir>/tls.crt`, `<dir>/tls.key`, optional `<dir>/ca.crt`), and the pure check of their contents.
 * Errors name the file and never quote its contents: one of them is a private key.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { join } from "node:path";
import type { ServedCertificates } from "./server";

export interface CertificateFilePaths {
  cert: string;
  key: string;
  /** An explicit `--webhook-ca-file` is required; ca.crt in the directory is optional. */
  ca: { path: string; required: boolean };
}


export interface FileContents {
  cert: string;
  key: string;
  ca?: string;
}

export function certificateFilePaths(certDir: string, caFile: string): CertificateFilePaths {
  return {
    cert: join(certDir, "tls.crt"),
    key: join(certDir, "tls.key"),
    ca: caFile ? { path: caFile, required: true } : { path: join(certDir, "ca.crt"), required: false },
  };
}

/** Validates what was read; throws an error naming the offending path. */
export function certificatesFromFiles(paths: CertificateFilePaths, contents: FileContents): ServedCertificates {
  const cert = parseCertificate(paths.cert, contents.cert);
  const key = parsePrivateKey(paths.key, contents.key);
  // A writer that replaces the two files one by one leaves a moment where they do not belong together.
  if (!cert.checkPrivateKey(key)) throw new Error(`${paths.key} does not match the certificate in ${paths.cert}`);
  if (contents.ca === undefined) return { certPem: contents.cert, keyPem: contents.key };
  const blocks = contents.ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${paths.ca.path}: holds no PEM certificate`);
  for (const block of blocks) parseCertificate(paths.ca.path, block);
  return { certPem: contents.cert, keyPem: contents.key, caPem: contents.ca };
}

function parsePrivateKey(path: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error(`${path}: not a PEM private key`);
  }
}

function parseCertificate(path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${path}: not a PEM certificate`);
  }
}
