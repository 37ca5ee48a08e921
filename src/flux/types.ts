/**
 * The Flux APIs the operator writes and reads (helm.toolkit.fluxcd.io/v2, source.toolkit.fluxcd.io/v1):
 * resource types, and the subset of their shapes the operator owns or inspects.
 */
import type { Condition, KubeObject, ResourceType } from "../kube/types";

export const HELM_RELEASE: ResourceType = {
  group: "helm.toolkit.fluxcd.io",
  version: "v2",
  kind: "HelmRelease",
  plural: "helmreleases",
  namespaced: true,
};

export const HELM_REPOSITORY: ResourceType = {
  group: "source.toolkit.fluxcd.io",
  version: "v1",
  kind: "HelmRepository",
  plural: "helmrepositories",
  namespaced: true,
};

export const OCI_REPOSITORY: ResourceType = {
  group: "source.toolkit.fluxcd.io",
  version: "v1",
  kind: "OCIRepository",
  plural: "ocirepositories",
  namespaced: true,
};

export const CHART_SOURCE_RESOURCES = [HELM_REPOSITORY, OCI_REPOSITORY] as const;

/** Every Flux API the ApplicationInstance controller needs served (docs/applications.md#reconcile-flow step 8). */
export const FLUX_TYPES = [HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY] as const;

/** The layer of an OCI artifact that holds a packaged Helm chart. */
export const HELM_CHART_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

export type ValuesReference = { kind: "Secret" | "ConfigMap"; name: string; valuesKey: string };

export interface HelmReleaseSpec {
  interval: string;
  timeout: string;
  suspend: boolean;
  /** The ServiceAccount helm-controller impersonates for the Helm actions (the namespace's Flux tenant). */
  serviceAccountName: string;
  install: { remediation: { retries: number } };
  upgrade: { remediation: { retries: number; strategy: "rollback" | "uninstall" } };
  chart?: {
    spec: { chart: string; version: string; sourceRef: { kind: "HelmRepository"; name: string } };
  };
  chartRef?: { kind: "OCIRepository"; name: string };
  values?: Record<string, unknown>;
  valuesFrom?: ValuesReference[];
}

export interface HelmReleaseStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  history?: Array<{ chartVersion?: string; status?: string }>;
}

export interface HelmRelease extends KubeObject {
  spec?: Partial<HelmReleaseSpec>;
  status?: HelmReleaseStatus;
}

export interface HelmRepositorySpec {
  url: string;
  interval: string;
}

export interface OCIRepositorySpec {
  url: string;
  interval: string;
  ref: { tag: string };
  layerSelector: { mediaType: string; operation: "copy" | "extract" };
}
