/**
 * Hole 2 (Flux installs with helm-controller's rights) and hole 7 (Flux status messages leave unredacted):
 * HelmReleases carrying each forbidden field are refused with ProtectedField; one without a ServiceAccount is
 * written only as the tenant's; and a condition message quoting secret values reaches the plane redacted.
 */
import { HELM_RELEASE } from "../../../src/flux/types";
import type { KubeObject } from "../../../src/kube/types";
import { eventually } from "../../support/eventually";
import type { AttackCase } from "../support/cases";
import { envelope, lookup, runJobs, type Stage } from "../support/stage";
import { recordAttack } from "../support/tally";

export const TENANT_SERVICE_ACCOUNT = "vworkspace-tenant";

function helmRelease(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace },
    spec: { interval: "5m", chart: { spec: { chart: "demo", version: "1.0.0", sourceRef: { kind: "HelmRepository", name: "demo" } } }, ...spec },
  };
}

export async function fluxFieldCases(stage: Stage): Promise<AttackCase[]> {
  const { ns } = stage;
  const chart = (sourceRef: Record<string, unknown>) => ({ spec: { chart: "demo", version: "1.0.0", sourceRef } });
  const forbidden: Array<[string, Record<string, unknown>]> = [
    ["targetNamespace", { targetNamespace: "kube-system" }],
    ["storageNamespace", { storageNamespace: "kube-system" }],
    ["kubeConfig", { kubeConfig: { secretRef: { name: "remote-admin" } } }],
    ["cross-namespace sourceRef", { chart: chart({ kind: "HelmRepository", name: "demo", namespace: ns.victim }) }],
    ["cross-namespace chartRef", { chart: undefined, chartRef: { kind: "OCIRepository", name: "demo", namespace: ns.victim } }],
    ["another serviceAccountName", { serviceAccountName: "default" }],
    ["helm-controller's serviceAccountName", { serviceAccountName: "helm-controller" }],
  ];
  const cases: AttackCase[] = [];
  for (const [field, spec] of forbidden) {
    const name = `hr-${field.replace(/[^a-z]+/gi, "-").toLowerCase()}`.slice(0, 40).replace(/-+$/, "");
    cases.push({
      attack: `HelmRelease with ${field}`,
      job: await envelope(stage, "apply", helmRelease(ns.gated, name, { serviceAccountName: TENANT_SERVICE_ACCOUNT, ...spec })),
      codes: ["ProtectedField"],
      escaped: async () => (await lookup(stage, HELM_RELEASE, name, ns.gated)) !== undefined,
    });
  }
  return cases;
}

/** A HelmRelease without serviceAccountName: refused, or written with the tenant's; never with none. */
export async function helmReleaseWithoutServiceAccount(stage: Stage): Promise<string | undefined> {
  const name = "hr-no-service-account";
  const job = await envelope(stage, "apply", helmRelease(stage.ns.gated, name, {}));
  const result = (await runJobs(stage, [job])).get(job.id);
  const live = await lookup(stage, HELM_RELEASE, name, stage.ns.gated);
  const account = (live?.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName;
  const refused = result?.outcome === "failed" ? result.errorCode === "ProtectedField" : account === TENANT_SERVICE_ACCOUNT;
  const escaped = live !== undefined && account !== TENANT_SERVICE_ACCOUNT;
  recordAttack("HelmRelease without serviceAccountName", { refused, escaped, note: `result ${result?.outcome}/${result?.errorCode ?? "-"}, live serviceAccountName ${account ?? "(none)"}` });
  return refused && !escaped ? undefined : `HelmRelease without serviceAccountName: result ${JSON.stringify(result)}, live serviceAccountName ${account ?? "(none)"}`;
}

/**
 * Hole 7: the agent tracks a written HelmRelease and posts its conditions; Flux quotes rendered values in
 * them. The test writes such a status (no helm-controller needed) and reads what the plane received.
 */
export async function fluxStatusRedaction(stage: Stage): Promise<string | undefined> {
  const name = "hr-status-leak";
  const job = await envelope(stage, "apply", helmRelease(stage.ns.gated, name, { serviceAccountName: TENANT_SERVICE_ACCOUNT }));
  const result = (await runJobs(stage, [job])).get(job.id);
  if (result?.outcome !== "succeeded") return `redaction setup: the tenant HelmRelease was not applied: ${JSON.stringify(result)}`;
  const marker = `leaked-${crypto.randomUUID()}`;
  stage.quoted.push(marker);
  const live = (await lookup(stage, HELM_RELEASE, name, stage.ns.gated)) as KubeObject;
  const now = new Date().toISOString();
  const message = `Helm install failed: values: {"password": "${marker}", "apiKey": "${marker}"} token=${marker}\n-----BEGIN PRIVATE KEY-----\n${marker}\n-----END PRIVATE KEY-----`;
  const conditions = [
    { type: "Ready", status: "False", reason: "InstallFailed", message, lastTransitionTime: now, observedGeneration: live.metadata.generation },
    { type: "Stalled", status: "True", reason: "InstallFailed", message, lastTransitionTime: now, observedGeneration: live.metadata.generation },
  ];
  await stage.client.request({ method: "PATCH", path: `/apis/helm.toolkit.fluxcd.io/v2/namespaces/${stage.ns.gated}/helmreleases/${name}/status`, contentType: "application/merge-patch+json", body: { status: { observedGeneration: live.metadata.generation, conditions } } });
  const statuses = await eventually(async () => {
    const record = await stage.plane.admin.job(job.id);
    const posted = JSON.stringify(record.statuses);
    return posted.includes("InstallFailed") ? posted : undefined;
  }, { what: "the HelmRelease's failed status posted to the plane", timeoutMs: 30_000 });
  const escaped = statuses.includes(marker);
  recordAttack("Flux condition message quoting secrets", { refused: !escaped, escaped, note: "the marker reached the plane's status record" });
  return escaped ? "Flux condition message quoting secrets: the marker reached the plane unredacted" : undefined;
}
