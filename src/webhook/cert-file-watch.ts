/**
 * Files mode I/O: reads the certificate files, then re-reads them on an interval. Polling, which
 * controller-runtime's certwatcher also does, sees every way the files change: a kubelet Secret volume
 * swapping its `..data` symlink, the cert-manager CSI driver rewriting them, or a person replacing them.
 */
import { readFile } from "node:fs/promises";
import { sleep, type Clock } from "../kube/clock";
import { certificatesFromFiles, type CertificateFilePaths } from "./cert-files";
import type { ServedCertificates } from "./server";

export async function readCertificateFiles(paths: CertificateFilePaths): Promise<ServedCertificates> {
  const [cert, key, ca] = await Promise.all([read(paths.cert), read(paths.key), paths.ca.required ? read(paths.ca.path) : readIfExists(paths.ca.path)]);
  return certificatesFromFiles(paths, { cert, key, ...(ca === undefined ? {} : { ca }) });
}

export interface WatchOptions {
  paths: CertificateFilePaths;
  intervalMs: number;
  clock: Clock;
  signal: AbortSignal;
  /** Called with every successful read, changed or not; must handle its own errors. */
  onCertificates: (certs: ServedCertificates) => Promise<void>;
  onError: (err: Error) => void;
}

/** Reads now, then every `intervalMs` until `signal` aborts. */
export async function watchCertificateFiles(options: WatchOptions): Promise<void> {
  const { signal } = options;
  while (!signal.aborted) {
    const certs = await readCertificateFiles(options.paths).catch((err: Error) => options.onError(err));
    if (certs) await options.onCertificates(certs);
    await sleep(options.clock, options.intervalMs, signal);
  }
}

function read(path: string): Promise<string> {
  return readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw readError(path, err);
  });
}

function readIfExists(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw readError(path, err);
  });
}

function readError(path: string, err: NodeJS.ErrnoException): Error {
  return new Error(`read ${path}: ${err.code === "ENOENT" ? "no such file" : (err.code ?? err.message)}`, { cause: err });
}
