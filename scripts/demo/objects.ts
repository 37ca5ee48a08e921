/**
 * What the demo asks the control plane for (docs/first-application.md): the application, its upgrade, the
 * backup Operation and the namespace an administrator gates for it. Pure data, no I/O.
 */
import { APPS_API_VERSION, OPS_API_VERSION } from "../../src/api/groups";
import { capabilityAnnotation, GATE_VALUE, LABEL_GATE } from "../../src/api/labels";
import { RUNNER_SERVICE_ACCOUNT } from "../../src/operations/parameters";
import type { KubeObject } from "../../src/kube/types";
import { NODE_IMAGE } from "../lib/node-image";

export const DEMO_CHART = "vws-test";
export const FIRST_VERSION = "0.1.0";
export const UPGRADE_VERSION = "0.2.0";
/** The fixture chart writes ConfigMap `<release>-config` with `chartVersion` and `value`. */
export const appConfigMapName = (release: string) => `${release}-config`;
export const upgradeOperationName = (instance: string) => `${instance}-upgrade`;
export const backupOperationName = (instance: string) => `${instance}-backup`;
/** An unprivileged uid: the Job engine runs Pods with runAsNonRoot and the busybox image has no user of its own. */
const BACKUP_UID = 65534;

export interface DemoNames {
  namespace: string;
  instance: string;
}

/** The gated namespace: only an administrator may label it, the control plane cannot write Namespaces. */
export function gatedNamespace(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [LABEL_GATE]: GATE_VALUE } } };
}

/** The ServiceAccount Job-engine Pods run as; an administrator's step, like the gate. */
export function runnerServiceAccount(namespace: string): KubeObject {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: RUNNER_SERVICE_ACCOUNT, namespace }, automountServiceAccountToken: false } as KubeObject;
}

/** The application: the fixture chart from the demo's Helm repository, allowing helm upgrades and job run-commands. */
export function applicationInstance(names: DemoNames, chartUrl: string): KubeObject {
  return {
    apiVersion: APPS_API_VERSION,
    kind: "ApplicationInstance",
    metadata: {
      name: names.instance,
      namespace: names.namespace,
      annotations: { [capabilityAnnotation("upgrade")]: "helm", [capabilityAnnotation("runcommand")]: "job" },
    },
    spec: {
      appRef: { catalogId: DEMO_CHART },
      chart: { sourceType: "helm", url: chartUrl, name: DEMO_CHART, version: FIRST_VERSION },
      release: { name: names.instance, namespace: names.namespace },
      values: { source: "inline", inline: { value: "hello from the demo" } },
    },
  };
}

function operation(names: DemoNames, name: string, type: string, engine: string, parameters: Record<string, unknown>): KubeObject {
  return {
    apiVersion: OPS_API_VERSION,
    kind: "Operation",
    metadata: { name, namespace: names.namespace },
    spec: { targetRef: { apiVersion: APPS_API_VERSION, kind: "ApplicationInstance", name: names.instance }, type, engine, parameters },
  };
}

/** Upgrade through the helm engine: it bumps the instance's chart version and completes when Flux has upgraded. */
export function upgradeOperation(names: DemoNames): KubeObject {
  return operation(names, upgradeOperationName(names.instance), "Upgrade", "helm", { targetVersion: UPGRADE_VERSION });
}

/**
 * The backup: a RunCommand through the job engine, one Pod on the demo's node that reads the application's
 * configuration (the chart's ConfigMap, through the API server) and prints it; the demo keeps that output.
 * The Backup type's engines (velero, snapshot, volsync) need controllers and storage a local cluster lacks.
 */
export function backupOperation(names: DemoNames): KubeObject {
  const configMap = appConfigMapName(names.instance);
  const fromConfigMap = (name: string, key: string) => ({ name, valueFrom: { configMapKeyRef: { name: configMap, key } } });
  return operation(names, backupOperationName(names.instance), "RunCommand", "job", {
    image: NODE_IMAGE,
    command: ["/bin/busybox", "sh", "-c"],
    args: ['printf "chartVersion=%s\\nvalue=%s\\n" "$CHART_VERSION" "$VALUE"'],
    env: [fromConfigMap("CHART_VERSION", "chartVersion"), fromConfigMap("VALUE", "value")],
    runAsUser: BACKUP_UID,
    runAsGroup: BACKUP_UID,
    ttlSecondsAfterFinished: 3600,
  });
}

/** The `key=value` lines the backup Pod printed; an error names what is missing. */
export function parseBackup(log: string): Record<string, string> {
  const entries = log
    .split("\n")
    .map((line) => /^([A-Za-z]+)=(.*)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1] as string, match[2] as string] as const);
  const backup = Object.fromEntries(entries);
  const missing = ["chartVersion", "value"].filter((key) => !(key in backup));
  if (missing.length > 0) throw new Error(`backup output lacks ${missing.join(", ")}: ${JSON.stringify(log.slice(0, 200))}`);
  return backup;
}
