/**
 * Hole 1 (intents skip the kind allow-list) and hole 6 (apiVersion is not validated): typed intents carrying
 * other kinds, and apply/delete jobs whose apiVersion smuggles path segments. Each must fail with nothing
 * written; a CP-managed canary ConfigMap in the gated namespace must survive every delete.
 */
import { APPLICATION_INSTANCE, OPERATION } from "../../../src/api/groups";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import type { ResourceType } from "../../../src/kube/types";
import type { AttackCase } from "../support/cases";
import { CONFIG_MAP, envelope, lookup, runJobs, type Stage } from "../support/stage";

const BATCH_JOB: ResourceType = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
const RESTORE: ResourceType = { group: "velero.io", version: "v1", kind: "Restore", plural: "restores", namespaced: true };

/** apiVersions that are not `version` or `<DNS-1123 group>/<version>`. */
export const BAD_API_VERSIONS = [
  "apps.vworkspace.io/v1alpha1/../../ops.vworkspace.io/v1alpha1",
  "apps.vworkspace.io/v1alpha1/..",
  "v1/../../apis/rbac.authorization.k8s.io/v1",
  "../v1",
  "apps.vworkspace.io/v1alpha1/",
  "/v1",
  "Apps.VWorkspace.io/v1alpha1",
  "apps..vworkspace.io/v1alpha1",
  "apps.vworkspace.io/v1alpha1%2F..%2F..",
  "apps.vworkspace.io/v1 alpha1",
];

/** CP-managed ConfigMaps the traversal deletes aim at, one per delete; returns their names. */
async function canaries(stage: Stage, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, () => `canary-${crypto.randomUUID().slice(0, 8)}`);
  const jobs = await Promise.all(names.map((name) => envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: stage.ns.gated }, data: { a: "1" } })));
  const results = await runJobs(stage, jobs);
  const failed = jobs.filter((job) => results.get(job.id)?.outcome !== "succeeded");
  if (failed.length > 0) throw new Error(`canary ConfigMaps were not applied: ${JSON.stringify(failed.map((job) => results.get(job.id)))}`);
  return names;
}

export async function intentCases(stage: Stage): Promise<AttackCase[]> {
  const { ns } = stage;
  const tag = crypto.randomUUID().slice(0, 8);
  const exists = (type: ResourceType, name: string, namespace?: string) => async () => (await lookup(stage, type, name, namespace)) !== undefined;
  const intent = (name: string, member: string, object: Record<string, unknown>) => envelope(stage, "intent", { intent: name, [member]: object });
  const podJob = { apiVersion: "batch/v1", kind: "Job", metadata: { name: `hostile-${tag}`, namespace: ns.gated }, spec: { template: { spec: { serviceAccountName: "default", restartPolicy: "Never", containers: [{ name: "x", image: "evil:latest", command: ["sh", "-c", "cat /var/run/secrets/*"] }] } } } };
  const restore = { apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: `hostile-${tag}`, namespace: ns.velero }, spec: { backupName: "everything", includedNamespaces: ["*"] } };
  const kindNotAllowed = ["KindNotAllowed"];
  const targetName = `smuggled-${tag}`;
  const smuggledWritten = async () => (await lookup(stage, APPLICATION_INSTANCE, targetName, ns.gated)) !== undefined || (await lookup(stage, OPERATION, targetName, ns.gated)) !== undefined;

  const cases: AttackCase[] = [
    { attack: "intent: ApplicationInstance that is a batch Job", job: await intent("ensure-application-instance", "applicationInstance", podJob), codes: kindNotAllowed, escaped: exists(BATCH_JOB, `hostile-${tag}`, ns.gated) },
    { attack: "intent: Operation that is a Velero Restore", job: await intent("request-operation", "operation", restore), codes: kindNotAllowed, escaped: exists(RESTORE, `hostile-${tag}`, ns.velero) },
    { attack: "intent: ApplicationInstance that is a Secret", job: await intent("ensure-application-instance", "applicationInstance", { apiVersion: "v1", kind: "Secret", metadata: { name: `hostile-${tag}`, namespace: ns.gated }, stringData: { a: "1" } }), codes: kindNotAllowed, escaped: exists(SECRET, `hostile-${tag}`, ns.gated) },
    { attack: "intent: Operation of the wrong group", job: await intent("request-operation", "operation", { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "Operation", metadata: { name: targetName, namespace: ns.gated }, spec: {} }), codes: kindNotAllowed, escaped: smuggledWritten },
  ];
  for (const apiVersion of BAD_API_VERSIONS) {
    cases.push({ attack: "apiVersion smuggling (apply)", job: await envelope(stage, "apply", { apiVersion, kind: "ApplicationInstance", metadata: { name: targetName, namespace: ns.gated }, spec: {} }), escaped: smuggledWritten });
    cases.push({ attack: "apiVersion smuggling (intent)", job: await intent("ensure-application-instance", "applicationInstance", { apiVersion, kind: "ApplicationInstance", metadata: { name: targetName, namespace: ns.gated }, spec: {} }), codes: ["KindNotAllowed", "InvalidPayload"], escaped: smuggledWritten });
  }
  const deleted = [...BAD_API_VERSIONS, "v1/../../api/v1"];
  const victims = await canaries(stage, deleted.length);
  for (const [index, apiVersion] of deleted.entries()) {
    const victim = victims[index]!;
    cases.push({ attack: "apiVersion smuggling (delete)", job: await envelope(stage, "delete", { apiVersion, kind: "ConfigMap", name: victim, namespace: ns.gated }), escaped: async () => (await lookup(stage, CONFIG_MAP, victim, ns.gated)) === undefined });
  }
  return cases;
}
