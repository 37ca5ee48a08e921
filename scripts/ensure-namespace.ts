/** Creates a namespace on the cluster of $KUBECONFIG if it is missing (developer convenience only). */
import { KubeClient } from "../src/kube/client";
import { connectionFrom, resolveKubeConfig } from "../src/kube/config";
import { classifyError } from "../src/kube/errors";

const NAMESPACE_TYPE = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const name = process.argv[2];
if (!name) {
  console.error("usage: bun scripts/ensure-namespace.ts <name>");
  process.exit(2);
}
const client = new KubeClient({ connection: connectionFrom(resolveKubeConfig({})) });
try {
  await client.create(NAMESPACE_TYPE, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  console.log(`namespace/${name} created`);
} catch (err) {
  if (classifyError(err) !== "alreadyExists") throw err;
}
