/** Test hygiene only (docs/development.md#preload-and-the-shared-cluster): never starts a cluster, so unit tests run without Go. */
import { resolve } from "node:path";
import { installNetGuard } from "./net-guard";

for (const name of ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]) {
  delete process.env[name];
}
const helmHome = resolve(import.meta.dir, "../../.local/helm");
process.env.HELM_CACHE_HOME = `${helmHome}/cache`;
process.env.HELM_CONFIG_HOME = `${helmHome}/config`;
process.env.HELM_DATA_HOME = `${helmHome}/data`;
process.env.VWS_TEST_RUN_ID ??= Math.random().toString(36).slice(2, 8);
installNetGuard();
