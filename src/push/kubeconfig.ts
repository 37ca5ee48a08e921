/**
 * The kubeconfig `push-kubeconfig` hands to the control plane: one cluster, one token-only user, one
 * context, current-context set (docs/connectivity.md#push-mode). Pure; the token is a value the caller
 * writes to stdout or a 0600 file and nowhere else.
 */
import YAML from "yaml";
import { isGatedNamespace } from "../api/gate";

export interface PushKubeconfig {
  server: string;
  caPem: string;
  token: string;
  contextName: string;
}

export function defaultContextName(clusterId: string): string {
  return `vworkspace-${clusterId || "cluster"}`;
}

export function renderPushKubeconfig(config: PushKubeconfig): string {
  const name = config.contextName;
  return YAML.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server: config.server, "certificate-authority-data": Buffer.from(config.caPem).toString("base64") } }],
      users: [{ name, user: { token: config.token } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
    },
    { lineWidth: 0 },
  );
}

export interface NamespaceFacts {
  name: string;
  labels?: Readonly<Record<string, string>>;
  /** A RoleBinding named vworkspace-control-plane there binds this ServiceAccount. */
  bindsServiceAccount: boolean;
}

/**
 * The gated namespace the self-check lists ApplicationInstances in: one that has the control plane's
 * RoleBinding for this ServiceAccount if any does (that is where the token must work), else the first gated one, so a missing
 * binding fails with Forbidden. Undefined when no namespace is gated.
 */
export function verificationNamespace(namespaces: readonly NamespaceFacts[]): string | undefined {
  const gated = namespaces.filter((namespace) => isGatedNamespace(namespace.labels)).sort((a, b) => (a.name < b.name ? -1 : 1));
  return (gated.find((namespace) => namespace.bindsServiceAccount) ?? gated[0])?.name;
}
