/**
 * Names of the Push (and GitOps) access objects (docs/connectivity.md#push-mode): the control plane's
 * ServiceAccount, its two ClusterRoles, and the RoleBinding that lets it write in one gated namespace.
 * The chart creates the cluster-wide ones; RBAC alone confines the control plane to gated namespaces.
 */

/** ServiceAccount in the operator namespace that the control plane (and Flux in GitOps mode) acts as. */
export const CONTROL_PLANE_SERVICE_ACCOUNT = "vworkspace-control-plane";
/** Optional long-lived token Secret of that ServiceAccount. */
export const CONTROL_PLANE_TOKEN_SECRET = "vworkspace-control-plane-token";
/** get/list/watch on Clusters, bound cluster-wide. */
export const CONTROL_PLANE_CLUSTERS_ROLE = "vworkspace-control-plane-clusters";
/** ApplicationInstances and Operations only, bound per gated namespace. */
export const CONTROL_PLANE_NAMESPACED_ROLE = "vworkspace-control-plane-namespaced";
/**
 * The namespaced role plus Flux HelmReleases and chart sources, bound instead of it while committed
 * HelmReleases are authoritative (docs/connectivity.md#helmrelease-authoritative-gitops).
 */
export const CONTROL_PLANE_HELMRELEASES_ROLE = "vworkspace-control-plane-helmreleases";
/** The RoleBinding in each gated namespace. */
export const CONTROL_PLANE_ROLE_BINDING = "vworkspace-control-plane";
/** The field manager of the control plane's own server-side applies in Push mode. */
export const PUSH_FIELD_MANAGER = "vworkspace-odoo";
