/** The engines' read-only view of live objects (`ChildReader`): absent objects are undefined, never errors. */
import type { ChildReader } from "../../engines/types";
import type { KubeClient } from "../../kube/client";
import { classifyError } from "../../kube/errors";
import { apiVersionOf } from "../../kube/types";

export function liveReader(client: KubeClient): ChildReader {
  return {
    async get(type, namespace, name, signal) {
      try {
        return await client.get(type, name, { ...(namespace ? { namespace } : {}), signal });
      } catch (err) {
        if (classifyError(err) === "notFound") return undefined;
        throw err;
      }
    },
    async list(type, namespace, labelSelector, signal) {
      try {
        const { items } = await client.list(type, { namespace, ...(labelSelector ? { labelSelector } : {}), signal });
        // List items carry no kind; engines tell children apart by it.
        return items.map((item) => ({ ...item, apiVersion: apiVersionOf(type), kind: type.kind }));
      } catch (err) {
        if (classifyError(err) === "notFound") return [];
        throw err;
      }
    },
  };
}
