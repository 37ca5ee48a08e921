/** The demo's pure parts: the objects it asks for, how it reads states, and its report. */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import type { Operation } from "../../../src/api/operation";
import { runCommandJobParameters, upgradeHelmParameters } from "../../../src/operations/parameters";
import { applicationInstance, backupOperation, parseBackup, upgradeOperation } from "../../../scripts/demo/objects";
import { progressLine, summaryTable } from "../../../scripts/demo/report";
import { instanceGone, instanceReady, operationFinished } from "../../../scripts/demo/verdicts";

const names = { namespace: "demo-shop", instance: "shop" };

describe("demo objects", () => {
  test("the instance allows exactly the engines of the demo's Operations", () => {
    const instance = applicationInstance(names, "http://127.0.0.1:1234");
    expect(instance.metadata.annotations).toEqual({ "ops.vworkspace.io/upgrade": "helm", "ops.vworkspace.io/runcommand": "job" });
    expect(instance.spec).toMatchObject({ chart: { sourceType: "helm", url: "http://127.0.0.1:1234", name: "vws-test", version: "0.1.0" }, release: { name: "shop", namespace: "demo-shop" } });
  });

  test("the Operations' parameters pass the templates' schemas", () => {
    const upgrade = upgradeOperation(names).spec as { type: string; engine: string; parameters: unknown };
    expect([upgrade.type, upgrade.engine]).toEqual(["Upgrade", "helm"]);
    expect(v.safeParse(upgradeHelmParameters, upgrade.parameters).success).toBe(true);
    const backup = backupOperation(names).spec as { type: string; engine: string; parameters: unknown };
    expect([backup.type, backup.engine]).toEqual(["RunCommand", "job"]);
    const parsed = v.safeParse(runCommandJobParameters, backup.parameters);
    expect(parsed.issues).toBeUndefined();
    expect(parsed.output).toMatchObject({ runAsUser: 65534, env: [{ name: "CHART_VERSION", valueFrom: { configMapKeyRef: { name: "shop-config", key: "chartVersion" } } }, { name: "VALUE" }] });
  });

  test("parseBackup reads the Pod's lines and names what is missing", () => {
    expect(parseBackup("chartVersion=0.2.0\nvalue=hello from the demo\n")).toEqual({ chartVersion: "0.2.0", value: "hello from the demo" });
    expect(() => parseBackup("chartVersion=0.2.0\n")).toThrow("backup output lacks value");
    expect(() => parseBackup("")).toThrow("backup output lacks chartVersion, value");
  });
});

const ai = (generation: number, observedGeneration: number, ready?: string): ApplicationInstance =>
  ({
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "shop", generation },
    spec: { chart: { version: "0.2.0" } },
    status: { observedGeneration, conditions: ready ? [{ type: "Ready", status: ready, reason: "HelmReleaseReady" }] : [] },
  }) as unknown as ApplicationInstance;

describe("demo verdicts", () => {
  test("Ready counts only at the current generation", () => {
    expect(instanceReady(ai(2, 1, "True"))).toEqual({ done: false, state: "Ready=True/HelmReleaseReady (generation not observed yet), chart 0.2.0" });
    expect(instanceReady(ai(2, 2, "True"))).toEqual({ done: true, state: "Ready=True/HelmReleaseReady, chart 0.2.0" });
    expect(instanceReady(ai(2, 2)).done).toBe(false);
    expect(instanceReady(undefined).done).toBe(false);
  });

  test("an instance is gone only when absent", () => {
    expect(instanceGone(undefined)).toEqual({ done: true, state: "deleted" });
    expect(instanceGone(ai(1, 1, "True")).done).toBe(false);
  });

  test("an Operation is finished at any terminal phase, with its reason shown", () => {
    const op = (phase: string | undefined, type?: string, reason?: string) => ({ status: { phase, conditions: type ? [{ type, status: "True", reason }] : [] } }) as unknown as Operation;
    expect(operationFinished(op("Running", "Running", "JobRunning"))).toEqual({ done: false, state: "phase Running (JobRunning)" });
    expect(operationFinished(op("Failed", "Failed", "JobFailed"))).toEqual({ done: true, state: "phase Failed (JobFailed)" });
    expect(operationFinished(op("Succeeded", "Succeeded", "JobSucceeded")).done).toBe(true);
    expect(operationFinished(op(undefined)).state).toBe("phase not set yet");
  });
});

describe("demo report", () => {
  test("progress lines carry the elapsed time", () => {
    expect(progressLine(4_213, "waiting")).toBe("  [  4.2s] waiting");
    expect(progressLine(123_400, "x")).toBe("  [123.4s] x");
  });

  test("the table lists every step with its outcome and a total", () => {
    const table = summaryTable([
      { title: "deploy", outcome: "done", ms: 4_900, detail: "Ready" },
      { title: "back up", outcome: "skipped", ms: 0, detail: "needs a node" },
    ]).split("\n");
    expect(table).toEqual([
      "| step    | outcome   | time  | what happened |",
      "| ------- | --------- | ----- | ------------- |",
      "| deploy  | ✓ done    | 4.9 s | Ready         |",
      "| back up | - skipped | 0.0 s | needs a node  |",
      "| total   |           | 4.9 s |               |",
    ]);
  });
});
