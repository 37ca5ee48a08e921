/**
 * The deletion path (docs/applications.md#deletion): the finalizer stays until helm-controller has uninstalled the release
 * (its HelmRelease is gone) and the chart sources are gone, or until the uninstall timeout. Runs whatever
 * the gate or cluster id say, and never touches an object this instance does not own.
 */
import { APPLICATION_INSTANCE } from "../../api/groups";
import { CHART_SOURCE_RESOURCES, HELM_RELEASE, type HelmRelease } from "../../flux/types";
import { hasFinalizer, removeFinalizer } from "../../kube/owners";
import type { KubeObject, ResourceType } from "../../kube/types";
import type { WorkResult } from "../../kube/workqueue";
import { deleteChild, ownedChildren, resumeForUninstall } from "./children";
import { sourceName } from "./desired";
import { report, type Pass } from "./pass";

interface Child {
  type: ResourceType;
  object: KubeObject;
}

export async function finalize(pass: Pass): Promise<WorkResult | void> {
  const { deps, signal } = pass;
  if (!hasFinalizer(pass.current, APPLICATION_INSTANCE.finalizer)) return;
  const applied = pass.current.status?.helmReleaseRef;
  if (pass.current.spec?.mode === "placeholder" && !applied) {
    await report(pass, { row: "DeletingPlaceholder" });
    return release(pass);
  }
  // Nothing of ours can exist without the Flux APIs.
  if (!(await deps.fluxServed(signal))) return release(pass);

  const remaining = await deleteChildren(pass, releaseNames(pass));
  if (remaining.length === 0) return release(pass);

  const deadline = Date.parse(pass.current.metadata.deletionTimestamp ?? "") + deps.settings.uninstallTimeoutMs;
  const now = deps.clock.now();
  const names = remaining.map(({ type, object }) => `${type.kind} ${object.metadata.name}`).join(", ");
  if (now >= deadline) {
    const message = `uninstall timed out after ${deps.settings.uninstallTimeoutMs / 1000}s; left to the garbage collector: ${names}`;
    deps.events.record(pass.current, { type: "Warning", reason: "UninstallTimedOut", action: "Cleanup", note: message });
    await report(pass, { row: "DeletingTimeout", message });
    return release(pass);
  }
  await report(pass, { row: "Deleting", message: `waiting for ${names} to be deleted` });
  // Child delete events drive progress; this timer only enforces the uninstall deadline.
  return { requeueAfterMs: deadline - now };
}

/** Names of releases this instance may have created: the spec's and the one last applied. */
function releaseNames(pass: Pass): string[] {
  const names = [pass.current.spec?.release?.name, pass.current.status?.helmReleaseRef?.name];
  return [...new Set(names.filter((name): name is string => typeof name === "string" && name !== ""))];
}

/** HelmReleases first; sources only once every HelmRelease is gone. Returns what still exists. */
async function deleteChildren(pass: Pass, names: readonly string[]): Promise<Child[]> {
  const { client } = pass.deps;
  const helmReleases = await ownedChildren<HelmRelease>(client, HELM_RELEASE, names, pass.current, pass.signal);
  for (const helmRelease of helmReleases) {
    await deleteChild(client, HELM_RELEASE, helmRelease, pass.signal);
    await resumeForUninstall(client, helmRelease, pass.signal);
  }
  if (helmReleases.length > 0) return helmReleases.map((object) => ({ type: HELM_RELEASE, object }));

  const sources: Child[] = [];
  for (const type of CHART_SOURCE_RESOURCES) {
    const found = await ownedChildren(client, type, names.map(sourceName), pass.current, pass.signal);
    for (const object of found) {
      await deleteChild(client, type, object, pass.signal);
      sources.push({ type, object });
    }
  }
  return sources;
}

async function release(pass: Pass): Promise<void> {
  const before = pass.current;
  pass.current = await removeFinalizer(pass.deps.client, APPLICATION_INSTANCE, pass.current, APPLICATION_INSTANCE.finalizer);
  pass.deps.released.record(before);
}
