/**
 * The ApplicationInstance rule set of docs/operations.md#applicationinstance-rules, shared by the admission webhook and the reconciler
 * (docs/applications.md#reconcile-flow step 6). Rules run in table order; the first violation wins. Pure: every fact about the
 * cluster (namespace gate, cluster id) is an input.
 */

import type { ApplicationInstance, HelmReleaseRef, ReleaseSpec } from "../applicationinstance";
import { DNS1123_LABEL, HTTP_URL, SEMVER } from "../patterns";
import { clusterMismatchMessage, mismatchedClusterIdLabel, namespaceNotGatedMessage } from "./identity";
import { findInlineSecret, type InlineSecretFinding } from "./inline-secrets";

export type ApplicationInstanceRejectReason =
  | "NamespaceNotGated"
  | "ClusterMismatch"
  | "ImmutableField"
  | "ModeTransitionRejected"
  | "ValidationFailed"
  | "InlineSecretMaterialRejected";

export interface ApplicationInstanceViolation {
  /** Rule id of docs/operations.md#applicationinstance-rules, e.g. `AI-12`. */
  readonly rule: string;
  readonly reason: ApplicationInstanceRejectReason;
  readonly message: string;
}

export interface ApplicationInstanceAdmission {
  readonly object: ApplicationInstance;
  /** The stored object on UPDATE; absent on CREATE. */
  readonly oldObject?: ApplicationInstance;
  /** The shared namespace gate predicate (docs/concepts.md#namespace-gate), evaluated for the object's namespace. */
  readonly namespaceGated: boolean;
  /** spec.clusterId of the honoured Cluster; empty or absent skips the identity check. */
  readonly clusterId?: string;
}

type Verdict = ApplicationInstanceViolation | undefined;
type Rule = () => Verdict;

/** Admission: AI-1 … AI-17. */
export function validateApplicationInstanceAdmission(
  input: ApplicationInstanceAdmission,
): ApplicationInstanceViolation | undefined {
  const { object, oldObject } = input;
  return firstViolation([
    () => namespaceGate(object, input.namespaceGated),
    () => clusterIdentity(object, input.clusterId),
    () => oldObject && releaseKept(oldObject.spec.release, object.spec.release),
    () => oldObject && switchToPlaceholder(oldObject, object),
    ...specRules(object),
  ]);
}

/**
 * Reconciler (docs/applications.md#reconcile-flow step 6): the spec rules, with `status.helmReleaseRef` standing in for the old
 * object of AI-3 and AI-4. The reconciler reports any violation as `ValidationFailed` with its message.
 */
export function validateApplicationInstanceSpec(object: ApplicationInstance): ApplicationInstanceViolation | undefined {
  const applied = object.status?.helmReleaseRef;
  return firstViolation([
    () => releaseKept(applied, object.spec.release),
    () => (object.spec.mode === "placeholder" && applied ? modeTransitionRejected() : undefined),
    ...specRules(object),
  ]);
}

function firstViolation(rules: readonly Rule[]): Verdict {
  for (const rule of rules) {
    const violation = rule();
    if (violation) return violation;
  }
  return undefined;
}

function invalid(rule: string, message: string): ApplicationInstanceViolation {
  return { rule, reason: "ValidationFailed", message };
}

function namespaceGate(object: ApplicationInstance, gated: boolean): Verdict {
  if (gated) return undefined;
  const message = namespaceNotGatedMessage(object.metadata.namespace ?? "");
  return { rule: "AI-1", reason: "NamespaceNotGated", message };
}

function clusterIdentity(object: ApplicationInstance, clusterId: string | undefined): Verdict {
  const label = mismatchedClusterIdLabel(object.metadata.labels, clusterId);
  if (label === undefined) return undefined;
  return { rule: "AI-2", reason: "ClusterMismatch", message: clusterMismatchMessage(label, clusterId ?? "") };
}

function releaseKept(
  established: ReleaseSpec | HelmReleaseRef | undefined,
  release: ReleaseSpec | undefined,
): Verdict {
  if (!established) return undefined;
  const immutable = (message: string) => ({ rule: "AI-3", reason: "ImmutableField" as const, message });
  if (!release) return immutable("spec.release cannot be removed once set");
  if (release.name !== established.name) return immutable("spec.release.name is immutable");
  if (release.namespace !== established.namespace) return immutable("spec.release.namespace is immutable");
  return undefined;
}

function switchToPlaceholder(oldObject: ApplicationInstance, object: ApplicationInstance): Verdict {
  if (oldObject.spec.mode === "placeholder" || object.spec.mode !== "placeholder") return undefined;
  const mayOwnRelease =
    oldObject.spec.chart !== undefined ||
    oldObject.spec.release !== undefined ||
    oldObject.status?.helmReleaseRef !== undefined ||
    object.status?.helmReleaseRef !== undefined;
  return mayOwnRelease ? modeTransitionRejected() : undefined;
}

function modeTransitionRejected(): ApplicationInstanceViolation {
  return {
    rule: "AI-4",
    reason: "ModeTransitionRejected",
    message:
      "cannot switch a managed instance that owns (or may own) a Helm release to placeholder mode; " +
      "delete and recreate as a placeholder instead",
  };
}

/** AI-5 … AI-17: rules on the object alone. */
function specRules(object: ApplicationInstance): Rule[] {
  const { spec } = object;
  const placeholder = spec.mode === "placeholder";
  const managed = (rule: Rule): Rule => () => (placeholder ? undefined : rule());
  return [
    () => (isBlank(spec.appRef.catalogId) ? invalid("AI-5", "spec.appRef.catalogId is required") : undefined),
    () => (placeholder && spec.chart ? invalid("AI-6", "spec.chart must not be set in placeholder mode") : undefined),
    () => (placeholder && spec.values ? invalid("AI-7", "spec.values must not be set in placeholder mode") : undefined),
    () => releaseNamespace(object),
    managed(() => chartRules(object)),
    managed(() => releaseRules(object)),
    managed(() => valuesRules(object)),
  ];
}

function releaseNamespace(object: ApplicationInstance): Verdict {
  const namespace = object.spec.release?.namespace;
  if (namespace === undefined || isBlank(namespace) || namespace === object.metadata.namespace) return undefined;
  return invalid("AI-8", "spec.release.namespace must match metadata.namespace");
}

const CHART_FIELDS = ["sourceType", "url", "name", "version"] as const;

function chartRules({ spec: { chart } }: ApplicationInstance): Verdict {
  if (!chart) return invalid("AI-9", "spec.chart is required");
  const blank = CHART_FIELDS.find((field) => isBlank(chart[field]));
  if (blank) return invalid("AI-10", `spec.chart.${blank} is required`);
  if (chart.sourceType === "oci" && !chart.url.startsWith("oci://")) {
    return invalid("AI-11", "spec.chart.url must start with oci:// when spec.chart.sourceType is oci");
  }
  if (chart.sourceType === "helm" && !HTTP_URL.test(chart.url)) {
    return invalid("AI-11", "spec.chart.url must start with http:// or https:// when spec.chart.sourceType is helm");
  }
  if (!SEMVER.test(chart.version)) {
    return invalid("AI-12", 'spec.chart.version must be an exact semantic version (no ranges, no "latest")');
  }
  return undefined;
}

function releaseRules({ spec: { release } }: ApplicationInstance): Verdict {
  if (!release) return invalid("AI-13", "spec.release is required");
  if (isBlank(release.name)) return invalid("AI-13", "spec.release.name is required");
  if (isBlank(release.namespace)) return invalid("AI-13", "spec.release.namespace is required");
  if (release.name.length > 53 || !DNS1123_LABEL.test(release.name)) {
    return invalid("AI-13", "spec.release.name must be a DNS-1123 label of at most 53 characters");
  }
  return undefined;
}

const VALUES_FIELDS = ["inline", "secretRef", "configMapRef"] as const;

function valuesRules({ spec: { values } }: ApplicationInstance): Verdict {
  if (!values) return invalid("AI-14", "spec.values is required");
  const { source } = values;
  if (source === "inline" && !values.inline) {
    return invalid("AI-15", "spec.values.inline is required when spec.values.source is inline");
  }
  if (source !== "inline") {
    const ref = values[source];
    if (!ref || isBlank(ref.name) || isBlank(ref.key)) {
      return invalid("AI-15", `spec.values.${source}.name and .key are required when spec.values.source is ${source}`);
    }
  }
  const extra = VALUES_FIELDS.find((field) => field !== source && values[field] !== undefined);
  if (extra) return invalid("AI-16", `spec.values.${extra} must not be set when spec.values.source is ${source}`);
  const finding = source === "inline" && values.inline ? findInlineSecret(values.inline) : undefined;
  return finding && inlineSecretRejected(finding);
}

function inlineSecretRejected({ path, kind }: InlineSecretFinding): ApplicationInstanceViolation {
  const advice = kind === "pem-private-key" ? "PEM private key not allowed inline" : "use secretRef or configMapRef";
  return {
    rule: "AI-17",
    reason: "InlineSecretMaterialRejected",
    message: `inline secret material rejected at "${path}": ${advice}`,
  };
}

function isBlank(value: string): boolean {
  return value.trim() === "";
}
