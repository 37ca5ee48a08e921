/** Template parameter schemas (docs/operations.md#parameter-schemas): minimal sets decode, each required key, wrong types and unknown keys fail. */
import { describe, expect, test } from "bun:test";
import { decodeParameters } from "../../../src/operations/rules";
import { findTemplate, TEMPLATES } from "../../../src/operations/templates";

const MINIMAL: Record<string, Record<string, unknown>> = {
  "backup.velero": {},
  "restore.velero": { backupName: "nightly" },
  "upgrade.helm": { targetVersion: "1.2.3" },
  "migration.helmHookJob": { hookName: "migrate", image: "busybox:1.36" },
  "runCommand.job": { image: "busybox:1.36" },
  "runbook.workflow": { template: "maintenance" },
  "backup.snapshot": {},
  "backup.volsync": { pvcName: "data", repository: "restic-repo" },
  "restore.volsync": { pvcName: "data", repository: "restic-repo" },
};

const WRONG_TYPE: Record<string, [string, unknown]> = {
  "backup.velero": ["snapshotVolumes", "yes"],
  "restore.velero": ["restorePVs", "yes"],
  "upgrade.helm": ["targetVersion", "latest"],
  "migration.helmHookJob": ["backoffLimit", -1],
  "runCommand.job": ["args", "ls -l"],
  "runbook.workflow": ["clusterScope", "no"],
  "backup.snapshot": ["ttl", "30d"],
  "backup.volsync": ["copyMethod", "Rsync"],
  "restore.volsync": ["previous", 1.5],
};

const ref = (template: { ref: string }) => template.ref;

describe("parameter schemas", () => {
  test("every template has fixtures", () => {
    expect(Object.keys(MINIMAL).sort()).toEqual(TEMPLATES.map(ref).sort());
  });

  for (const template of TEMPLATES) {
    const minimal = MINIMAL[template.ref] ?? {};
    test(`${template.ref}: the minimal set decodes`, () => {
      expect(decodeParameters(template, minimal).ok).toBe(true);
    });
    for (const key of Object.keys(minimal)) {
      test(`${template.ref}: without ${key} → InvalidParameters`, () => {
        const { [key]: _dropped, ...rest } = minimal;
        expect(decodeParameters(template, rest).ok).toBe(false);
      });
    }
    test(`${template.ref}: a wrong type is refused`, () => {
      const [key, value] = WRONG_TYPE[template.ref] ?? ["", undefined];
      const result = decodeParameters(template, { ...minimal, [key]: value });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toStartWith(`parameters invalid for template ${template.ref}: parameters.${key}: `);
    });
    test(`${template.ref}: an unknown key is refused`, () => {
      expect(decodeParameters(template, { ...minimal, colour: "blue" })).toEqual({ ok: false, message: `parameters invalid for template ${template.ref}: parameters.colour: unknown key` });
    });
  }

  test("defaults are applied: backoffLimit 0, ttlSecondsAfterFinished 86400, the runner account, storageLocation default", () => {
    const job = decodeParameters(findTemplate("RunCommand", "job")!, { image: "x" });
    expect(job).toEqual({ ok: true, value: { image: "x", backoffLimit: 0, ttlSecondsAfterFinished: 86400, serviceAccountName: "vworkspace-operation-runner" } });
    const velero = decodeParameters(findTemplate("Backup", "velero")!, {});
    expect(velero).toEqual({ ok: true, value: { storageLocation: "default" } });
  });

  test("env items: exactly one of value and valueFrom; valueFrom holds exactly one source", () => {
    const job = findTemplate("RunCommand", "job")!;
    expect(decodeParameters(job, { image: "x", env: [{ name: "A", value: "1", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }).ok).toBe(false);
    expect(decodeParameters(job, { image: "x", env: [{ name: "A" }] }).ok).toBe(false);
    expect(decodeParameters(job, { image: "x", env: [{ name: "A", valueFrom: { secretKeyRef: { name: "s", key: "k" }, fieldRef: { fieldPath: "x" } } }] }).ok).toBe(false);
    expect(decodeParameters(job, { image: "x", env: [{ name: "1bad", value: "x" }] }).ok).toBe(false);
    expect(decodeParameters(job, { image: "x", env: [{ name: "A", valueFrom: { configMapKeyRef: { name: "c", key: "k", optional: true } } }] }).ok).toBe(true);
  });

  test("runbook.workflow: exactly one of template and workflowTemplate; deprecated keys accepted", () => {
    const workflow = findTemplate("Runbook", "workflow")!;
    expect(decodeParameters(workflow, {}).ok).toBe(false);
    expect(decodeParameters(workflow, { template: "a", workflowTemplate: "b" }).ok).toBe(false);
    expect(decodeParameters(workflow, { workflowTemplate: "b", failureAction: "rollback", timeoutSeconds: 60 }).ok).toBe(true);
  });

  test("upgrade.helm: at least one of targetVersion and valuesPatch", () => {
    const upgrade = findTemplate("Upgrade", "helm")!;
    expect(decodeParameters(upgrade, {}).ok).toBe(false);
    expect(decodeParameters(upgrade, { valuesPatch: { replicas: 2, old: null } }).ok).toBe(true);
  });

  test("durations use Go syntax: 720h passes, 30d fails", () => {
    const velero = findTemplate("Backup", "velero")!;
    expect(decodeParameters(velero, { ttl: "720h" }).ok).toBe(true);
    expect(decodeParameters(velero, { retention: "30d" }).ok).toBe(false);
  });

  test("non-object parameters cannot be decoded", () => {
    expect(decodeParameters(findTemplate("Backup", "velero")!, ["a"])).toEqual({ ok: false, message: "decode parameters for template backup.velero: parameters must be an object" });
  });
});
