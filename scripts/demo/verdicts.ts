/** How the demo's waits read the objects they follow (docs/reference/conditions.md). Pure. */
import type { ApplicationInstance } from "../../src/api/applicationinstance";
import type { Cluster } from "../../src/api/cluster";
import { isTerminalPhase, type Operation } from "../../src/api/operation";
import type { Condition } from "../../src/kube/types";
import type { Verdict } from "./watch";

function describeCondition(conditions: readonly Condition[] | undefined, type: string): string {
  const found = conditions?.find((condition) => condition.type === type);
  return found ? `${type}=${found.status}${found.reason ? `/${found.reason}` : ""}` : `${type} not reported yet`;
}

export function clusterConnected(cluster: Cluster | undefined): Verdict {
  if (!cluster) return { done: false, state: "Cluster not created yet" };
  const phase = cluster.status?.phase;
  return { done: phase === "Connected", state: `phase ${phase ?? "not set yet"}, ${describeCondition(cluster.status?.conditions, "Connected")}` };
}

/** Ready=True for the current generation; a terminal failure is reported as done so the caller can say why. */
export function instanceReady(instance: ApplicationInstance | undefined): Verdict {
  if (!instance) return { done: false, state: "not created yet" };
  const ready = instance.status?.conditions?.find((condition) => condition.type === "Ready");
  const current = instance.status?.observedGeneration === instance.metadata.generation;
  const version = instance.spec.chart?.version ?? "?";
  const state = `${describeCondition(instance.status?.conditions, "Ready")}${current ? "" : " (generation not observed yet)"}, chart ${version}`;
  return { done: current && ready?.status === "True", state };
}

export function instanceGone(instance: ApplicationInstance | undefined): Verdict {
  if (!instance) return { done: true, state: "deleted" };
  const deleting = instance.status?.conditions?.find((condition) => condition.type === "Deleting");
  return { done: false, state: deleting ? describeCondition(instance.status?.conditions, "Deleting") : "deletion requested" };
}

/** Done at a terminal phase; the caller checks which one. */
export function operationFinished(operation: Operation | undefined): Verdict {
  if (!operation) return { done: false, state: "not created yet" };
  const phase = operation.status?.phase;
  const running = operation.status?.conditions?.find((condition) => condition.status === "True" && ["Running", "Succeeded", "Failed", "Blocked"].includes(condition.type));
  const reason = running?.reason ? ` (${running.reason})` : "";
  return { done: isTerminalPhase(phase), state: `phase ${phase ?? "not set yet"}${reason}` };
}
