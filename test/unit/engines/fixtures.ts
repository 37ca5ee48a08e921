import type { ChildOwner } from "../../../src/engines/common/labels";
import type { OwnerReference } from "../../../src/kube/types";

export const OWNER: ChildOwner = { uid: "0b7c-uid", namespace: "team-a", targetName: "shop" };

export const OWNER_REF: OwnerReference = {
  apiVersion: "ops.vworkspace.io/v1alpha1",
  kind: "Operation",
  name: "nightly",
  uid: "0b7c-uid",
  controller: true,
  blockOwnerDeletion: true,
};

export const CHILD_LABELS = {
  "app.vworkspace.io/managed-by": "vworkspace-operator",
  "ops.vworkspace.io/operation": "0b7c-uid",
  "app.vworkspace.io/application-instance": "shop",
};

export const SOURCE_LABELS = { ...CHILD_LABELS, "ops.vworkspace.io/source-namespace": "team-a" };

import type { ApplicationInstance } from "../../../src/api/applicationinstance";
import type { Operation, OperationEngine, OperationType } from "../../../src/api/operation";
import type { EngineContext } from "../../../src/engines/types";
import { findTemplate } from "../../../src/operations/templates";
import * as v from "valibot";

export const NOW = new Date("2026-11-22T08:00:00Z");

export function target(overrides: Partial<ApplicationInstance["spec"]> = {}): ApplicationInstance {
  return {
    apiVersion: "apps.vworkspace.io/v1alpha1",
    kind: "ApplicationInstance",
    metadata: { name: "shop", namespace: "team-a", generation: 3 },
    spec: {
      appRef: { catalogId: "shop" },
      mode: "managed",
      suspend: false,
      chart: { sourceType: "helm", url: "http://127.0.0.1/charts", name: "vws-test", version: "0.1.0" },
      release: { name: "shop", namespace: "team-a" },
      values: { source: "inline", inline: { value: "a" } },
      ...overrides,
    },
  };
}

/** An engine context whose parameters went through the template's schema, as the controller decodes them. */
export function context(type: OperationType, engine: OperationEngine, raw: object, extra: { status?: Operation["status"]; target?: ApplicationInstance | undefined } = {}): EngineContext<any> {
  const template = findTemplate(type, engine);
  if (!template) throw new Error(`no template ${type}.${engine}`);
  const operation: Operation = {
    apiVersion: "ops.vworkspace.io/v1alpha1",
    kind: "Operation",
    metadata: { name: "nightly", namespace: "team-a", uid: OWNER.uid },
    spec: { targetRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", name: "shop" }, type, engine },
    ...(extra.status ? { status: extra.status } : {}),
  };
  return {
    operation,
    uid: OWNER.uid,
    target: "target" in extra ? extra.target : target(),
    childNamespace: "team-a",
    template,
    parameters: v.parse(template.parameters, raw),
    timeoutSeconds: template.defaultTimeoutSeconds,
    now: NOW,
    settings: { veleroNamespace: "velero", childTtlSeconds: 86_400, upgradeStuckAfterMs: 300_000 },
  };
}
