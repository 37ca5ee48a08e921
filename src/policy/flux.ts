/**
 * Field policy for Flux objects written on the control plane's behalf: a HelmRelease (and a Kustomization,
 * when an allow-list admits one) runs as the namespace's tenant ServiceAccount, installs into and stores
 * its state in its own namespace, has no kubeConfig, and refers only to sources of its own namespace; a source
 * grants no other namespace access and uses no cloud provider identity of the Flux controllers. Refusals
 * name the field, never its value. See docs/security.md.
 */
import { tenantServiceAccount } from "../api/tenant";
import type { PolicyOutcome, Refusal } from "./refusal";
import { isRecord } from "./shape";

const HELM_GROUP = "helm.toolkit.fluxcd.io";
const SOURCE_GROUP = "source.toolkit.fluxcd.io";
const KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io";
const SOURCE_KINDS: readonly string[] = ["HelmRepository", "OCIRepository", "HelmChart", "GitRepository", "Bucket"];

type Manifest = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> & { name: string } };

export interface FluxFacts {
  /** The object's namespace (already checked to be gated). */
  namespace: string;
  namespaceLabels: Readonly<Record<string, string>> | undefined;
}

export function isFluxPolicyKind(group: string, kind: string): boolean {
  return (group === HELM_GROUP && kind === "HelmRelease") || (group === KUSTOMIZE_GROUP && kind === "Kustomization") || (group === SOURCE_GROUP && SOURCE_KINDS.includes(kind));
}

export function checkFluxObject<T extends Manifest>(group: string, object: T, facts: FluxFacts): PolicyOutcome<T> {
  const spec = object.spec ?? {};
  if (!isRecord(spec)) return { refusal: { code: "InvalidPayload", detail: `${object.kind} ${object.metadata.name}: spec must be an object` } };
  const refusal = group === SOURCE_GROUP ? checkSource(object, spec) : checkWorkload(object, spec, facts);
  if (refusal) return { refusal };
  if (group === SOURCE_GROUP) return { object };
  return { object: { ...object, spec: { ...spec, serviceAccountName: tenantServiceAccount(facts.namespaceLabels) } } };
}

/** HelmRelease and Kustomization: identity, target, storage and references. */
function checkWorkload(object: Manifest, spec: Record<string, unknown>, facts: FluxFacts): Refusal | undefined {
  const own = facts.namespace;
  const tenant = tenantServiceAccount(facts.namespaceLabels);
  if (spec.serviceAccountName !== undefined && spec.serviceAccountName !== tenant) {
    return protectedField(object, "spec.serviceAccountName", `must be absent or the namespace's tenant ServiceAccount ${tenant}`);
  }
  if (spec.kubeConfig !== undefined) return protectedField(object, "spec.kubeConfig", "is not allowed");
  for (const field of ["targetNamespace", "storageNamespace"]) {
    if (spec[field] !== undefined && spec[field] !== own) return protectedField(object, `spec.${field}`, "must be absent or the object's own namespace");
  }
  const chart = isRecord(spec.chart) && isRecord(spec.chart.spec) ? spec.chart.spec : undefined;
  const references: Array<[string, unknown]> = [
    ["spec.chart.spec.sourceRef", chart?.sourceRef],
    ["spec.chartRef", spec.chartRef],
    ["spec.sourceRef", spec.sourceRef],
    ...listOf(spec.dependsOn).map((entry, index): [string, unknown] => [`spec.dependsOn[${index}]`, entry]),
    ...listOf(spec.valuesFrom).map((entry, index): [string, unknown] => [`spec.valuesFrom[${index}]`, entry]),
  ];
  for (const [field, reference] of references) {
    if (reference === undefined) continue;
    if (!isRecord(reference)) return { code: "InvalidPayload", detail: `${object.kind} ${object.metadata.name}: ${field} must be an object` };
    if (reference.namespace !== undefined && reference.namespace !== own) return protectedField(object, `${field}.namespace`, "must be absent or the object's own namespace");
  }
  return undefined;
}

/** Sources: no cross-namespace access, no cloud identity of source-controller. */
function checkSource(object: Manifest, spec: Record<string, unknown>): Refusal | undefined {
  if (spec.accessFrom !== undefined && spec.accessFrom !== null) return protectedField(object, "spec.accessFrom", "is not allowed: a source serves its own namespace only");
  if (spec.provider !== undefined && spec.provider !== "generic") return protectedField(object, "spec.provider", "must be absent or generic");
  return undefined;
}

function protectedField(object: Manifest, field: string, rule: string): Refusal {
  return { code: "ProtectedField", detail: `${object.kind} ${object.metadata.name}: ${field} ${rule}` };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}
