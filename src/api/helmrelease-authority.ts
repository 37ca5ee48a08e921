/**
 * Who writes the HelmReleases (docs/connectivity.md#helmrelease-authoritative-gitops): normally the
 * ApplicationInstance controller materialises them; a Cluster in gitops mode with
 * `spec.gitops.helmReleasesAuthoritative` hands that over to the HelmReleases committed to Git, which the
 * operator then only reads and reports. Pure.
 */
import { LABEL_MANAGED_BY, MANAGED_BY_CONTROL_PLANE } from "./labels";
import type { KubeObject } from "../kube/types";

interface ClusterSettings {
  connectivityMode?: unknown;
  gitops?: { helmReleasesAuthoritative?: unknown };
}

/** Whether the honoured Cluster makes committed HelmReleases authoritative (gitops mode only). */
export function helmReleasesAuthoritative(honoured: KubeObject | undefined): boolean {
  const spec = honoured?.spec as ClusterSettings | undefined;
  return spec?.connectivityMode === "gitops" && spec.gitops?.helmReleasesAuthoritative === true;
}

/** A HelmRelease the control plane wrote (committed to Git or sent in a job), as opposed to one the operator materialised. */
export function isControlPlaneManaged(object: KubeObject): boolean {
  return object.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_CONTROL_PLANE;
}

/** The label selector of the control-plane-managed objects, for informers. */
export const CONTROL_PLANE_MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_CONTROL_PLANE}`;

/** The conditions of a committed HelmRelease that reach the control plane: whether it is ready and whether the release happened. */
export const REPORTED_HELM_RELEASE_CONDITIONS: readonly string[] = ["Ready", "Released"];

/**
 * The view of a committed HelmRelease the status channel reports: the object with only the reported
 * conditions, so Flux's frequent Reconciling flips cause no event.
 */
export function reportedHelmRelease(helmRelease: KubeObject): KubeObject {
  const status = helmRelease.status as { conditions?: unknown } | undefined;
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  const reported = conditions.filter((condition: { type?: unknown }) => REPORTED_HELM_RELEASE_CONDITIONS.includes(condition.type as string));
  return { ...helmRelease, status: { conditions: reported } };
}
