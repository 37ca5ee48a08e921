/**
 * Which jobs of one answer must not overlap (docs/connectivity.md#job-pipeline). Pure: read from the raw
 * envelope before anything is acknowledged, so a lie in it can only make the agent more sequential, never let
 * two writes of one object race — the object a job really writes is the one these keys name, or the job is a
 * barrier.
 *
 * Jobs sharing a key run one after another in array order: the same id (the replay check must see the first
 * one done), the same idempotency key (the second must see the first one's key), the same object (group,
 * kind and name; namespace and version are left out, so a cluster-scoped object named with a stray
 * namespace, or one object under two versions, still counts as one). A job whose object cannot be read
 * without decrypting, a credential rotation, a Cluster write (it can change how later jobs are handled) and
 * anything malformed is a barrier: it waits for every earlier job and every later one waits for it.
 */
import { CLUSTER } from "../../api/groups";
import { PINNED_INTENT_KINDS } from "../../policy/kinds";
import { asRecord } from "../../policy/shape";

export type JobOrder = { barrier: true } | { barrier: false; keys: string[] };

const BARRIER: JobOrder = { barrier: true };

export function jobOrder(raw: unknown): JobOrder {
  const job = asRecord(raw);
  const id = job?.id;
  if (!job || typeof id !== "string" || id === "") return BARRIER;
  const target = targetOf(job);
  if (!target || (target.group === CLUSTER.group && target.kind === CLUSTER.kind)) return BARRIER;
  const keys = [`id:${id}`, `object:${target.group}/${target.kind}/${target.name}`];
  if (typeof job.idempotencyKey === "string" && job.idempotencyKey !== "") keys.push(`key:${job.idempotencyKey}`);
  return { barrier: false, keys };
}

interface Target {
  group: string;
  kind: string;
  name: string;
}

function targetOf(job: Record<string, unknown>): Target | undefined {
  const encrypted = job.encryptedPayload !== undefined && job.encryptedPayload !== null && job.encryptedPayload !== "";
  if (encrypted) return undefined;
  const payload = asRecord(job.payload);
  if (!payload) return undefined;
  switch (job.kind) {
    case "apply":
      return typed(payload.apiVersion, payload.kind, asRecord(payload.metadata)?.name);
    case "delete":
      return typed(payload.apiVersion, payload.kind, payload.name);
    case "intent":
      return intentTarget(payload);
    default:
      return undefined;
  }
}

function intentTarget(payload: Record<string, unknown>): Target | undefined {
  switch (payload.intent) {
    case "ensure-application-instance":
      return pinned(PINNED_INTENT_KINDS["ensure-application-instance"], asRecord(asRecord(payload.applicationInstance)?.metadata)?.name);
    case "request-operation":
      return pinned(PINNED_INTENT_KINDS["request-operation"], asRecord(asRecord(payload.operation)?.metadata)?.name);
    case "delete-application-instance":
      return pinned(PINNED_INTENT_KINDS["delete-application-instance"], payload.name);
    default:
      return undefined;
  }
}

/** An intent writes its pinned kind whatever the payload says (a different one is refused, nothing written). */
function pinned(kind: { group: string; kind: string }, name: unknown): Target | undefined {
  return typeof name === "string" && name !== "" ? { group: kind.group, kind: kind.kind, name } : undefined;
}

function typed(apiVersion: unknown, kind: unknown, name: unknown): Target | undefined {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || kind === "" || typeof name !== "string" || name === "") return undefined;
  const slash = apiVersion.indexOf("/");
  return { group: slash < 0 ? "" : apiVersion.slice(0, slash), kind, name };
}
