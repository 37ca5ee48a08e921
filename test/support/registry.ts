/**
 * A loopback OCI registry for the oci end-to-end tests: the `oci-registry` binary that
 * scripts/k8s-bins.sh builds from go-containerregistry (optional: VWS_BIN_OCI_REGISTRY is empty when
 * the module proxy refused it). It serves TLS with a test CA because the operator writes the
 * OCIRepository without `insecure`; source-controller trusts that CA through SSL_CERT_FILE.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCertificates, DEFAULT_CERTIFICATE_POLICY } from "../../src/webhook/certificates";
import { REPO_ROOT } from "./cluster";
import { helm, packageFixtureChart, pipe } from "./flux";
import { k8sBinsEnv } from "./k8s-bins";
import { LogCapture } from "./logs";

/** Path of the built registry binary; undefined when k8s-bins could not build it. */
export function ociRegistryBinary(): string | undefined {
  return k8sBinsEnv().VWS_BIN_OCI_REGISTRY || undefined;
}

export interface OciChartRegistry {
  /** `oci://127.0.0.1:PORT/charts`: the ApplicationInstance `chart.url`; charts live below it by name. */
  url: string;
  /** PEM file of the CA that issued the registry's certificate (for SSL_CERT_FILE). */
  caFile: string;
  logs: LogCapture;
  stop(): Promise<void>;
}

/** Starts the registry with a fresh CA and pushes the fixture chart at each version with `helm push`. */
export async function serveOciChartRegistry(options: { binary: string; helm: string; name: string; versions: readonly string[] }): Promise<OciChartRegistry> {
  const dir = join(REPO_ROOT, ".local/oci-registry", options.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const certificates = await createCertificates({ dns: ["localhost"], ips: ["127.0.0.1"] }, new Date(), DEFAULT_CERTIFICATE_POLICY);
  const caFile = join(dir, "ca.pem");
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  writeFileSync(caFile, certificates.caPem);
  writeFileSync(certFile, certificates.certPem);
  writeFileSync(keyFile, certificates.keyPem, { mode: 0o600 });

  const logs = new LogCapture(join(REPO_ROOT, ".local/test-logs/oci-registry", `${options.name}.log`));
  const proc = Bun.spawn([options.binary, `-tls-cert=${certFile}`, `-tls-key=${keyFile}`], { stdout: "pipe", stderr: "pipe" });
  void pipe(proc.stdout, logs);
  void pipe(proc.stderr, logs);
  const stop = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
  };
  try {
    const listening = await logs.waitFor((line) => line.startsWith("listening on "));
    const url = `oci://${listening.slice("listening on ".length).trim()}/charts`;
    // helm keeps registry credentials and caches under these; a test must not touch the user's.
    const helmEnv = { PATH: process.env.PATH, HELM_CONFIG_HOME: join(dir, "helm/config"), HELM_CACHE_HOME: join(dir, "helm/cache"), HELM_DATA_HOME: join(dir, "helm/data") };
    for (const archive of packageFixtureChart(options.helm, join(dir, "charts"), options.versions)) {
      helm(options.helm, ["push", archive, url, `--ca-file=${caFile}`], helmEnv);
    }
    return { url, caFile, logs, stop };
  } catch (err) {
    await stop();
    throw new Error(`OCI registry setup failed: ${err instanceof Error ? err.message : String(err)}\nregistry log:\n${logs.tail(20)}`);
  }
}
