/** ApplicationInstance: the schema of spec and status (docs/applications.md#spec-and-status) and everything derived from it. */

import * as v from "valibot";
import type { KubeObject } from "../kube/types";
import { conditionsSchema } from "./condition";
import type { CrdSource } from "./crd/types";
import { decodeWith, type DecodeResult } from "./decode";
import { APPLICATION_INSTANCE } from "./groups";
import { dateTime, freeformObject, int64, kube, type CelRule } from "./kube-schema";
import { kubeObjectSchema } from "./meta";
import { CHART_NAME, DNS1123_LABEL, DNS1123_LABEL_MESSAGE, NON_EMPTY, SEMVER } from "./patterns";

export const APPLICATION_INSTANCE_MODES = ["managed", "placeholder"] as const;
export const CHART_SOURCE_TYPES = ["oci", "helm"] as const;
export const VALUES_SOURCES = ["inline", "secretRef", "configMapRef"] as const;

// CEL rules of docs/concepts.md#schemas-and-generated-crds; their webhook twins are AI-3, AI-6/AI-7, AI-15/AI-16 and AI-11.

// `namespace` is a CEL reserved word: Kubernetes exposes the field as `__namespace__`. Written plainly it
// resolves to nothing typed, and the apiserver's cost estimate for the rule explodes.
const releaseImmutable: CelRule = {
  rule:
    "!has(oldSelf.release) || (has(self.release) && self.release.name == oldSelf.release.name" +
    " && self.release.__namespace__ == oldSelf.release.__namespace__)",
  message: "spec.release.name and spec.release.namespace are immutable once set",
};

const placeholderHasNoChart: CelRule = {
  rule: "self.mode != 'placeholder' || (!has(self.chart) && !has(self.values))",
  message: "spec.chart and spec.values must not be set in placeholder mode",
};

const valuesMatchSource: CelRule = {
  rule:
    "has(self.inline) == (self.source == 'inline') && has(self.secretRef) == (self.source == 'secretRef')" +
    " && has(self.configMapRef) == (self.source == 'configMapRef')",
  message: "spec.values must set exactly the field named by spec.values.source",
};

const chartUrlMatchesSourceType: CelRule = {
  rule: "self.sourceType == 'oci' ? self.url.startsWith('oci://') : self.url.matches('^https?://')",
  message: "spec.chart.url scheme does not match spec.chart.sourceType",
};

const chartEntries = {
  sourceType: v.pipe(
    v.picklist(CHART_SOURCE_TYPES),
    v.description("Where the chart comes from: an OCI registry or a Helm repository."),
  ),
  url: v.pipe(
    v.string(),
    v.minLength(1, NON_EMPTY),
    v.maxLength(2048),
    v.description("oci:// registry prefix (without the chart name) or http(s):// Helm repository URL."),
  ),
  name: v.pipe(
    v.string(),
    v.minLength(1, NON_EMPTY),
    v.maxLength(253),
    v.regex(CHART_NAME, "must not contain '/' or whitespace"),
    v.description("Chart name."),
  ),
  version: v.pipe(
    v.string(),
    v.regex(SEMVER, 'must be an exact semantic version (no ranges, no "latest")'),
    v.description("Exact SemVer 2.0 chart version, optionally prefixed with 'v'; no ranges."),
  ),
};

const chartSchema = v.pipe(
  v.object(chartEntries),
  kube({ validations: [chartUrlMatchesSourceType] }),
  v.description("Helm chart to install. Required in managed mode."),
);

const releaseSchema = v.pipe(
  v.object({
    name: v.pipe(
      v.string(),
      v.maxLength(53, "must be at most 53 characters"),
      v.regex(DNS1123_LABEL, DNS1123_LABEL_MESSAGE),
      v.description("HelmRelease name; also prefixes the chart source name."),
    ),
    namespace: v.pipe(
      v.string(),
      v.maxLength(63),
      v.regex(DNS1123_LABEL, DNS1123_LABEL_MESSAGE),
      v.description("Must equal metadata.namespace."),
    ),
  }),
  v.description("Helm release identity. Required in managed mode; immutable once set."),
);

const objectKeyRef = (kind: string) =>
  v.pipe(
    v.object({
      name: v.pipe(v.string(), v.minLength(1, NON_EMPTY), v.description(`${kind} in the instance's namespace.`)),
      key: v.pipe(v.string(), v.minLength(1, NON_EMPTY), v.description(`Key holding a values YAML document.`)),
    }),
    v.description(`Values read by helm-controller from a ${kind}; the operator never reads it.`),
  );

const valuesSchema = v.pipe(
  v.object({
    source: v.pipe(v.picklist(VALUES_SOURCES), v.description("Which sibling field holds the values.")),
    inline: v.optional(v.pipe(freeformObject(), v.description("Helm values, copied into the HelmRelease unchanged."))),
    secretRef: v.optional(objectKeyRef("Secret")),
    configMapRef: v.optional(objectKeyRef("ConfigMap")),
  }),
  kube({ validations: [valuesMatchSource] }),
  v.description("Helm values. Required in managed mode."),
);

const toggle = (what: string) =>
  v.pipe(
    v.object({ enabled: v.optional(v.boolean()) }),
    v.description(`${what} integration (reserved: stored, no behaviour).`),
  );

const integrationsSchema = v.pipe(
  v.object({
    externalSecrets: v.optional(toggle("External Secrets")),
    certManager: v.optional(toggle("cert-manager")),
    ingress: v.optional(
      v.pipe(
        v.object({ enabled: v.optional(v.boolean()), host: v.optional(v.string()) }),
        v.description("Ingress integration (reserved: stored, no behaviour)."),
      ),
    ),
  }),
  v.description("Reserved integration switches."),
);

export const applicationInstanceSpecSchema = v.pipe(
  v.object({
    appRef: v.pipe(
      v.object({
        catalogId: v.pipe(
          v.string(),
          v.minLength(1, NON_EMPTY),
          v.maxLength(253),
          v.description("Control-plane catalog entry this instance was created from."),
        ),
      }),
      v.description("Catalog reference."),
    ),
    mode: v.optional(
      v.pipe(
        v.picklist(APPLICATION_INSTANCE_MODES),
        v.description("managed installs a chart; placeholder installs nothing."),
      ),
      "managed",
    ),
    suspend: v.optional(v.pipe(v.boolean(), v.description("Suspends the HelmRelease while true.")), false),
    chart: v.optional(chartSchema),
    release: v.optional(releaseSchema),
    values: v.optional(valuesSchema),
    integrations: v.optional(integrationsSchema),
  }),
  kube({ validations: [releaseImmutable, placeholderHasNoChart] }),
  v.description("Desired state of the application instance."),
);

const namespacedRef = (what: string) =>
  v.pipe(v.object({ name: v.string(), namespace: v.string() }), v.description(what));

export const applicationInstanceStatusSchema = v.pipe(
  v.object({
    observedGeneration: v.optional(
      v.pipe(int64(), v.minValue(0), v.description("metadata.generation of the last evaluation.")),
    ),
    conditions: v.optional(conditionsSchema("Ready, Reconciling, Degraded, Suspended, Blocked, Deleting.")),
    helmReleaseRef: v.optional(namespacedRef("HelmRelease written by the last successful apply.")),
    lastAppliedChart: v.optional(
      v.pipe(v.object(chartEntries), v.description("spec.chart as of the last successful apply.")),
    ),
    lastReconcileTime: v.optional(v.pipe(dateTime(), v.description("Time of the last status write."))),
    endpoints: v.optional(
      v.pipe(
        v.array(
          v.object({
            name: v.string(),
            url: v.string(),
            type: v.optional(v.string()),
            notes: v.optional(v.string()),
          }),
        ),
        v.description("Reserved; not populated in this version."),
      ),
    ),
  }),
  v.description("Observed state of the application instance."),
);

export type ApplicationInstanceMode = (typeof APPLICATION_INSTANCE_MODES)[number];
export type ChartSourceType = (typeof CHART_SOURCE_TYPES)[number];
export type ValuesSource = (typeof VALUES_SOURCES)[number];
export type ChartSpec = v.InferOutput<typeof chartSchema>;
export type ReleaseSpec = v.InferOutput<typeof releaseSchema>;
export type ValuesSpec = v.InferOutput<typeof valuesSchema>;
export type ApplicationInstanceSpec = v.InferOutput<typeof applicationInstanceSpecSchema>;
export type ApplicationInstanceStatus = v.InferOutput<typeof applicationInstanceStatusSchema>;
export type HelmReleaseRef = NonNullable<ApplicationInstanceStatus["helmReleaseRef"]>;

export interface ApplicationInstance extends KubeObject {
  spec: ApplicationInstanceSpec;
  status?: ApplicationInstanceStatus;
}

const body = v.object({ spec: applicationInstanceSpecSchema, status: v.optional(applicationInstanceStatusSchema) });
const applicationInstanceSchema: v.GenericSchema<unknown, ApplicationInstance> = kubeObjectSchema(
  APPLICATION_INSTANCE,
  body.entries,
);

/** Decodes an object read from the API server, applying the CRD defaults; never throws. */
export function decodeApplicationInstance(obj: unknown): DecodeResult<ApplicationInstance> {
  return decodeWith(applicationInstanceSchema, obj);
}

export const applicationInstanceCrd: CrdSource = {
  kind: APPLICATION_INSTANCE,
  description: "A Helm application installed through Flux on behalf of the vWorkspace control plane.",
  body,
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: "Chart", type: "string", jsonPath: ".spec.chart.name" },
    { name: "Version", type: "string", jsonPath: ".spec.chart.version" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};
