/** Our Helm chart rendered by the real `helm template` (VWS_BIN_HELM from scripts/k8s-bins.sh). */
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../src/kube/types";
import { REPO_ROOT } from "./cluster";
import { k8sBin } from "./k8s-bins";

export interface RenderedChart {
  objects: KubeObject[];
  exitCode: number;
  stderr: string;
}

export function helmTemplate(namespace: string, ...sets: string[]): RenderedChart {
  const args = [k8sBin("VWS_BIN_HELM"), "template", "vws", `${REPO_ROOT}/chart`, "--namespace", namespace, ...sets.flatMap((set) => ["--set", set])];
  const result = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  const objects = parseAllDocuments(result.stdout.toString())
    .map((document) => document.toJSON() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
  return { objects, exitCode: result.exitCode, stderr: result.stderr.toString() };
}

export function findRendered(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ""} rendered; got ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(", ")}`);
  return found;
}
