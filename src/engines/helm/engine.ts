/**
 * The `helm` engine: an Upgrade writes the new chart version (and values patch) into the target
 * ApplicationInstance's spec and completes when the instance is Ready at that version (docs/operations.md#helm). The instance reconciler turns the spec into the HelmRelease, so nothing fights it.
 * Cancel and failure leave the instance as it is: a downgrade is a new Upgrade.
 */
import { APPLICATION_INSTANCE, APPS_API_VERSION } from "../../api/groups";
import type { ApplicationInstance } from "../../api/applicationinstance";
import type { UpgradeHelmParameters } from "../../operations/parameters";
import type { Engine, StartRecord } from "../types";
import { UPGRADE_FIELD_MANAGER, upgradeOutputs, upgradePatch } from "./upgrade";
import { upgradeProgress } from "./verdict";

export const helmEngine: Engine<UpgradeHelmParameters, null> = {
  name: "helm",
  types: ["Upgrade"],
  requires: [],
  childTypes: [],
  childNamespaceOf: (context) => context.operation.metadata.namespace ?? "",

  prepare: async () => ({ ready: true, facts: null }),

  desiredChildren(context) {
    const object = {
      apiVersion: APPS_API_VERSION,
      kind: APPLICATION_INSTANCE.kind,
      metadata: { name: context.operation.spec.targetRef.name, namespace: context.operation.metadata.namespace ?? "" },
      ...upgradePatch(context.parameters),
    };
    return [{ type: APPLICATION_INSTANCE, object, mode: "merge", fieldManager: UPGRADE_FIELD_MANAGER }];
  },

  started(context, written): StartRecord {
    const after = written.find((object) => object.kind === APPLICATION_INSTANCE.kind) as ApplicationInstance | undefined;
    const before = context.target ?? after;
    const name = context.operation.spec.targetRef.name;
    return {
      engineRef: { kind: APPLICATION_INSTANCE.kind, name, namespace: context.operation.metadata.namespace ?? "" },
      outputs: before && after ? upgradeOutputs(before, after) : {},
    };
  },

  observe(context) {
    const outputs = context.operation.status?.outputs ?? {};
    const startedAtMs = Date.parse(context.operation.status?.startedAt ?? "") || context.now.getTime();
    const target = {
      ...(context.parameters.targetVersion !== undefined ? { version: context.parameters.targetVersion } : {}),
      generation: Number(outputs.targetGeneration ?? 0),
      startedAtMs,
    };
    const clock = { nowMs: context.now.getTime(), stuckAfterMs: context.settings.upgradeStuckAfterMs };
    return upgradeProgress(context.target, target, clock, context.template.reasons);
  },

  cancel: () => [],
  afterFailure: () => [],
};
