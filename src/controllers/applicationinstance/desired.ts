/**
 * Desired children of an ApplicationInstance (docs/applications.md#chart-sources, docs/applications.md#the-helmrelease, docs/applications.md#values), pure: the instance and the operator's
 * settings in, apply bodies out. Each body holds exactly the operator-owned fields (docs/applications.md#adopting-existing-objects), so anything
 * another manager set survives and anything we stop sending is removed by the API server.
 */
import type { ApplicationInstance, ChartSpec, ValuesSpec } from "../../api/applicationinstance";
import { ANNOTATION_FLUX_REQUESTED_AT, LABEL_APPLICATION_INSTANCE, LABEL_CLUSTER_ID, LABEL_MANAGED_BY, MANAGED_BY_OPERATOR } from "../../api/labels";
import { formatDuration } from "../../commandline/duration";
import {
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_RELEASE,
  HELM_REPOSITORY,
  OCI_REPOSITORY,
  type HelmReleaseSpec,
  type HelmRepositorySpec,
  type OCIRepositorySpec,
  type ValuesReference,
} from "../../flux/types";
import { controllerReference } from "../../kube/owners";
import { formatTime } from "../../kube/time";
import { apiVersionOf, type KubeObject, type ObjectMeta, type ResourceType } from "../../kube/types";

export interface ChildSettings {
  helmReleaseIntervalMs: number;
  helmReleaseTimeoutMs: number;
  sourceIntervalMs: number;
  /** The operator's cluster id; labels children when the instance carries none. */
  clusterId: string;
  /** The ServiceAccount the HelmRelease runs as: the namespace's Flux tenant (src/api/tenant.ts). */
  serviceAccountName: string;
}

/** A managed instance whose spec passed validation: chart, release and values are present. */
export type ManagedInstance = ApplicationInstance & {
  spec: ApplicationInstance["spec"] & Required<Pick<ApplicationInstance["spec"], "chart" | "release" | "values">>;
};

export interface DesiredChild {
  type: ResourceType;
  body: KubeObject;
}

export function sourceName(releaseName: string): string {
  return `${releaseName}-source`;
}

export function sourceTypeOf(chart: ChartSpec): ResourceType {
  return chart.sourceType === "oci" ? OCI_REPOSITORY : HELM_REPOSITORY;
}

/** The other chart source kind, deleted when the instance switches `sourceType`. */
export function staleSourceTypeOf(chart: ChartSpec): ResourceType {
  return chart.sourceType === "oci" ? HELM_REPOSITORY : OCI_REPOSITORY;
}

/** Labels every child carries (docs/applications.md#chart-sources). */
export function childLabels(instance: ApplicationInstance, clusterId: string): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY_OPERATOR,
    [LABEL_APPLICATION_INSTANCE]: instance.metadata.name,
  };
  const cluster = instance.metadata.labels?.[LABEL_CLUSTER_ID] || clusterId;
  if (cluster) labels[LABEL_CLUSTER_ID] = cluster;
  return labels;
}

function childMetadata(instance: ApplicationInstance, name: string, settings: ChildSettings): ObjectMeta {
  return {
    name,
    namespace: instance.metadata.namespace,
    labels: childLabels(instance, settings.clusterId),
    ownerReferences: [controllerReference(instance)],
  };
}

/**
 * The chart source. `refreshAt` (a helm source whose version changed since the last apply) sets
 * Flux's requestedAt annotation so the new index is fetched without waiting for the interval.
 */
export function desiredSource(instance: ManagedInstance, settings: ChildSettings, refreshAt?: number): DesiredChild {
  const { chart, release } = instance.spec;
  const type = sourceTypeOf(chart);
  const metadata = childMetadata(instance, sourceName(release.name), settings);
  const interval = formatDuration(settings.sourceIntervalMs);
  if (chart.sourceType === "oci") {
    const spec: OCIRepositorySpec = {
      url: `${chart.url.replace(/\/+$/, "")}/${chart.name}`,
      interval,
      ref: { tag: chart.version.replaceAll("+", "_") },
      layerSelector: { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, operation: "copy" },
    };
    return { type, body: { apiVersion: apiVersionOf(type), kind: type.kind, metadata, spec } };
  }
  if (refreshAt !== undefined) metadata.annotations = { [ANNOTATION_FLUX_REQUESTED_AT]: formatTime(refreshAt) };
  const spec: HelmRepositorySpec = { url: chart.url, interval };
  return { type, body: { apiVersion: apiVersionOf(type), kind: type.kind, metadata, spec } };
}

/** Whether the helm source must be told to refetch its index (docs/applications.md#chart-sources). */
export function needsIndexRefresh(instance: ManagedInstance): boolean {
  const applied = instance.status?.lastAppliedChart;
  return instance.spec.chart.sourceType === "helm" && applied !== undefined && applied.version !== instance.spec.chart.version;
}

export function desiredHelmRelease(instance: ManagedInstance, settings: ChildSettings): DesiredChild {
  const { chart, release, values } = instance.spec;
  const spec: HelmReleaseSpec = {
    interval: formatDuration(settings.helmReleaseIntervalMs),
    timeout: formatDuration(settings.helmReleaseTimeoutMs),
    suspend: instance.spec.suspend ?? false,
    serviceAccountName: settings.serviceAccountName,
    install: { remediation: { retries: 3 } },
    upgrade: { remediation: { retries: 3, strategy: "rollback" } },
  };
  const source = sourceName(release.name);
  if (chart.sourceType === "oci") spec.chartRef = { kind: "OCIRepository", name: source };
  else spec.chart = { spec: { chart: chart.name, version: chart.version, sourceRef: { kind: "HelmRepository", name: source } } };
  Object.assign(spec, valuesFields(values));
  const metadata = childMetadata(instance, release.name, settings);
  return { type: HELM_RELEASE, body: { apiVersion: apiVersionOf(HELM_RELEASE), kind: HELM_RELEASE.kind, metadata, spec } };
}

/** Inline values are copied; referenced values are left to helm-controller, never read (docs/applications.md#values). */
function valuesFields(values: ValuesSpec): Pick<HelmReleaseSpec, "values" | "valuesFrom"> {
  if (values.source === "inline") {
    return values.inline && Object.keys(values.inline).length > 0 ? { values: values.inline } : {};
  }
  const ref = values[values.source];
  if (!ref) return {};
  const kind: ValuesReference["kind"] = values.source === "secretRef" ? "Secret" : "ConfigMap";
  return { valuesFrom: [{ kind, name: ref.name, valuesKey: ref.key }] };
}
