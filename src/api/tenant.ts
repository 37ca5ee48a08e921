/**
 * The Flux tenant of a gated namespace: the ServiceAccount helm-controller impersonates for every
 * HelmRelease the operator or a job writes there, so a chart installs with namespace rights only.
 * A cluster admin may name another ServiceAccount with a Namespace label; the control plane cannot,
 * because it cannot write Namespaces. See docs/security.md.
 */
import { isDns1123Subdomain } from "./patterns";

/** ServiceAccount (and RoleBinding) the operator keeps in every gated namespace. */
export const TENANT_SERVICE_ACCOUNT = "vworkspace-tenant";
/** ClusterRole, installed by the chart, that the tenant RoleBinding refers to. */
export const TENANT_CLUSTER_ROLE = "vworkspace-tenant";
/** On a Namespace: names the ServiceAccount Flux runs as there instead of the default. */
export const LABEL_TENANT_SERVICE_ACCOUNT = "apps.vworkspace.io/tenant-service-account";

/** The ServiceAccount HelmReleases in a namespace with these labels must run as. */
export function tenantServiceAccount(namespaceLabels: Readonly<Record<string, string>> | undefined): string {
  const named = namespaceLabels?.[LABEL_TENANT_SERVICE_ACCOUNT];
  return named && isDns1123Subdomain(named) ? named : TENANT_SERVICE_ACCOUNT;
}
