/**
 * The field-ownership hand-over's I/O (docs/connectivity.md#field-ownership-hand-over): every
 * ApplicationInstance and Operation of the given namespaces is read live (the watch caches hold no
 * managedFields) and, where the previous writer owns fields, patched as ./handover-plan.ts plans. A patch
 * whose `test` fails met a concurrent change: the object is read again and planned afresh.
 */
import { APPLICATION_INSTANCE, OPERATION } from "../../api/groups";
import type { KubeClient } from "../../kube/client";
import { KubeApiError } from "../../kube/errors";
import type { KubeObject } from "../../kube/types";
import type { Logger } from "../../observability/logger";
import { getOptional } from "../applicationinstance/children";
import { handOverPatch, type HandOver } from "./handover-plan";

/** Attempts per object before the pass gives up and is retried as a whole. */
const ATTEMPTS = 5;
/** The patch only moves ownership; it names the operator as the client making it. */
const FIELD_MANAGER = "vworkspace-operator";

export type HandOverClient = Pick<KubeClient, "listAll" | "get" | "patch">;

/** Hands ownership over in every namespace given; returns how many objects changed hands. */
export async function handOverFieldOwnership(client: HandOverClient, namespaces: readonly string[], handOver: HandOver, signal: AbortSignal, logger: Logger): Promise<number> {
  let moved = 0;
  for (const namespace of namespaces) {
    for (const type of [APPLICATION_INSTANCE, OPERATION]) {
      const { items } = await client.listAll(type, { namespace, signal });
      for (const item of items) if (await handOverObject(client, item, handOver, signal)) moved++;
    }
  }
  if (moved > 0) logger.info({ from: handOver.from, to: handOver.to, objects: moved }, "handed field ownership over to the new writer");
  return moved;
}

async function handOverObject(client: HandOverClient, listed: KubeObject, handOver: HandOver, signal: AbortSignal): Promise<boolean> {
  const type = listed.kind === OPERATION.kind ? OPERATION : APPLICATION_INSTANCE;
  const { name, namespace } = listed.metadata;
  let current: KubeObject | undefined = listed;
  for (let attempt = 1; current; attempt++) {
    const ops = handOverPatch(current, handOver);
    if (!ops) return false;
    try {
      await client.patch(type, name, { type: "json", ops }, { namespace, fieldManager: FIELD_MANAGER, signal });
      return true;
    } catch (err) {
      if (!concurrentChange(err) || attempt >= ATTEMPTS) throw new Error(`hand over field ownership of ${type.kind} ${namespace}/${name} from ${handOver.from} to ${handOver.to}: ${messageOf(err)}`, { cause: err });
    }
    current = await getOptional(client, type, name, namespace ?? "", signal);
  }
  return false;
}

/** A failed `test` op answers 422; a write racing ours 409; a deleted object 404 (read again, then found gone). */
function concurrentChange(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return false;
  return err.status === 422 || err.status === 409 || err.status === 404;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
