/**
 * The hourly sweep of kept engine children (operations.md §3.6, §7.7): expired VolumeSnapshots and
 * VolSync objects past `--child-ttl`. Runs on the leader like every controller; one key, requeued hourly.
 * Kinds whose API is not served are skipped, so a cluster without snapshots or VolSync costs nothing.
 */
import { OPERATION } from "../../api/groups";
import { LABEL_OPERATION } from "../../api/labels";
import type { Operation } from "../../api/operation";
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import type { KubeObject, ResourceType } from "../../kube/types";
import { Controller } from "../../manager/controller";
import type { ControllerFactory } from "../../manager/operator";
import { controllerOf } from "../../kube/owners";
import { REPLICATION_DESTINATION, REPLICATION_SOURCE, VOLUME_SNAPSHOT } from "../common/resources";
import { expiredSnapshots, expiredVolSyncChildren } from "./select";

export const SWEEP_INTERVAL_MS = 3_600_000;
const SWEEP_KEY = "sweep";

export const childSweepController: ControllerFactory = (context) => {
  const { client, config, clock } = context;
  const namespaces = config.watchNamespaces.length > 0 ? config.watchNamespaces : [undefined];
  const controller = new Controller({
    name: "childsweep",
    workers: 1,
    metrics: context.metrics,
    logger: context.logger,
    clock,
    reconcile: async ({ signal, logger }) => {
      const now = clock.now();
      const ttlMs = config.operations.childTtlSeconds * 1000;
      for (const namespace of namespaces) {
        const snapshots = expiredSnapshots(await listOwned(client, VOLUME_SNAPSHOT, namespace, signal), now);
        const volsync = [
          ...(await listOwned(client, REPLICATION_SOURCE, namespace, signal)),
          ...(await listOwned(client, REPLICATION_DESTINATION, namespace, signal)),
        ];
        const operations = await operationsOwning(client, volsync, signal);
        const expiredVolSync = expiredVolSyncChildren(volsync, (child) => operations.get(controllerOf(child)?.uid ?? ""), now, ttlMs);
        for (const child of [...snapshots, ...expiredVolSync]) {
          await deleteChild(client, child, signal);
          logger.info({ kind: child.kind, namespace: child.metadata.namespace, name: child.metadata.name }, "deleted expired engine child");
        }
      }
      return { requeueAfterMs: SWEEP_INTERVAL_MS };
    },
  });
  controller.queue.add(SWEEP_KEY);
  return controller;
};

const TYPES_BY_KIND = new Map([VOLUME_SNAPSHOT, REPLICATION_SOURCE, REPLICATION_DESTINATION].map((type) => [type.kind, type]));

/** Children carrying the operation label; an API that is not served lists nothing. */
async function listOwned(client: KubeClient, type: ResourceType, namespace: string | undefined, signal: AbortSignal): Promise<KubeObject[]> {
  try {
    const list = await client.listAll(type, { ...(namespace ? { namespace } : {}), labelSelector: LABEL_OPERATION, signal });
    return list.items.map((item) => ({ ...item, apiVersion: `${type.group}/${type.version}`, kind: type.kind }));
  } catch (err) {
    if (classifyError(err) === "notFound") return [];
    throw err;
  }
}

/** The Operations owning `children`, by UID (one GET each; the sweep runs hourly over few objects). */
async function operationsOwning(client: KubeClient, children: readonly KubeObject[], signal: AbortSignal): Promise<Map<string, Operation>> {
  const found = new Map<string, Operation>();
  for (const child of children) {
    const owner = controllerOf(child);
    if (!owner || owner.kind !== OPERATION.kind || found.has(owner.uid)) continue;
    try {
      const operation = await client.get<Operation>(OPERATION, owner.name, { namespace: child.metadata.namespace, signal });
      if (operation.metadata.uid === owner.uid) found.set(owner.uid, operation);
    } catch (err) {
      if (classifyError(err) !== "notFound") throw err;
    }
  }
  return found;
}

async function deleteChild(client: KubeClient, child: KubeObject, signal: AbortSignal): Promise<void> {
  const type = TYPES_BY_KIND.get(child.kind);
  if (!type) return;
  try {
    await client.delete(type, child.metadata.name, { namespace: child.metadata.namespace, preconditions: { uid: child.metadata.uid }, signal });
  } catch (err) {
    if (classifyError(err) !== "notFound") throw err;
  }
}
