/**
 * Event-driven waits of the demo: list the one object, then follow a watch from that resourceVersion until a
 * verdict says done; every new state is reported once, with the elapsed time. No polling interval.
 */
import type { KubeClient } from "../../src/kube/client";
import type { KubeObject, ResourceType } from "../../src/kube/types";

/** What a wait concludes from the object as seen (undefined: absent). */
export interface Verdict {
  done: boolean;
  /** A short description of the state, printed when it changes. */
  state: string;
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  onState(state: string): void;
  /** Ends the wait early (Ctrl-C). */
  signal: AbortSignal;
}

export async function waitForObject<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  key: { namespace?: string; name: string },
  judge: (object: T | undefined) => Verdict,
  options: WaitOptions,
): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  const interrupt = () => abort.abort();
  options.signal.addEventListener("abort", interrupt, { once: true });
  const fieldSelector = `metadata.name=${key.name}`;
  let lastState = "";
  const observe = (object: T | undefined): boolean => {
    const verdict = judge(object);
    if (verdict.state !== lastState) options.onState(verdict.state);
    lastState = verdict.state;
    return verdict.done;
  };
  try {
    while (Date.now() < deadline && !abort.signal.aborted) {
      const list = await client.list<T>(type, { namespace: key.namespace, fieldSelector, signal: abort.signal });
      let current = list.items[0];
      if (observe(current)) return current;
      const remainingSeconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const events = client.watch<T>(type, { namespace: key.namespace, fieldSelector, resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: Math.min(remainingSeconds, 240), signal: abort.signal });
      for await (const event of events) {
        if (event.type === "ERROR") break; // e.g. 410 Gone: list again
        if (event.type === "BOOKMARK") continue;
        current = event.type === "DELETED" ? undefined : event.object;
        if (observe(current)) return current;
      }
    }
  } catch (err) {
    if (options.signal.aborted) throw new Error(`${options.what}: interrupted`);
    if (!abort.signal.aborted) throw new Error(`${options.what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", interrupt);
    abort.abort();
  }
  if (options.signal.aborted) throw new Error(`${options.what}: interrupted`);
  throw new Error(`${options.what}: not reached within ${Math.round(options.timeoutMs / 1000)} s (last state: ${lastState || "none"})`);
}
